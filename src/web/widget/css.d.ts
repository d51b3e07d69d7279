/** The build imports the widget's stylesheet as one minified string (src/web/widget-bundle.ts). */
declare module '*.css' {
  const css: string;
  export default css;
}
