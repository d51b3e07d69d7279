import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import type { Lexicon, Token, Tokenizer } from './types.js';

/**
 * English: tokens, lemmas, sentences and negation scope from wink-nlp (its light English model).
 * Chosen because it marks negation scope per token ("do not send¬ IN…¬"), classifies emails and
 * numbers, and runs in about 0.1 ms per message with no native build. It has no French model:
 * French plugs in as another Tokenizer + Lexicon (see types.ts), the rules stay the same.
 */
const nlp = winkNLP(model);
const its = nlp.its;

export const englishTokenizer: Tokenizer = {
  tokenize(text: string): Token[] {
    const doc = nlp.readDoc(text);
    const tokens = doc.tokens();
    const values = tokens.out(its.value);
    const lemmas = tokens.out(its.lemma as never) as unknown as string[];
    const negated = tokens.out(its.negationFlag as never) as unknown as boolean[];
    const types = tokens.out(its.type);
    // Sentence of each token, from the sentences' token counts (in document order).
    const sentenceOf: number[] = [];
    doc.sentences().each((sentence, i) => {
      const n = sentence.tokens().length();
      for (let k = 0; k < n; k++) sentenceOf.push(i);
    });
    return values.map((value, i) => ({
      value,
      lemma: (lemmas[i] ?? value).toLowerCase(),
      negated: negated[i] === true,
      type: types[i] ?? 'word',
      sentence: sentenceOf[i] ?? 0,
    }));
  },
};

const p = (s: string) => s.split(' ');

export const englishLexicon: Lexicon = {
  actions: {
    email: {
      lemmas: ['email', 'e-mail', 'emial', 'emal', 'mail', 'send', 'forward', 'forwarding', 'resend', 'cc', 'fwd', 'copy'],
      phrases: [p('e mail')],
    },
    pay: {
      lemmas: ['pay', 'settle', 'checkout'],
      phrases: [p('payment link'), p('pay link'), p('make a payment'), p('make payment')],
    },
    followup: {
      lemmas: ['escalate', 'human', 'representative', 'agent', 'ticket', 'callback', 'dispute', 'extension', 'refund'],
      phrases: [p('talk to'), p('speak to'), p('speak with'), p('talk with'), p('call me'), p('call us'), p('contact me'), p('contact us'), p('reach out'), p('follow up'), p('get back to'), p('real person'), p('someone from'), p('somebody from'), p('a person')],
    },
  },
  negationCues: [
    p('hold off'), p('put off'), p('wait on'), p('wait with'), p('hold on'), p('no need'), p('rather not'), p('not yet'), p('nobody'), p('no one'), p('dnt'), p('dont'), p('doesnt'), p('didnt'), p('wont'),
    p('dun'), p('no pay link'), p('no payment link'), p('no link'), p('without'), p('skip'), p('never'),
  ],
  negativeVerbs: [
    p('refrain'), p('avoid'), p('abstain'), p('forgo'), p('forego'), p('stop'), p('quit'), p('cease'), p('desist'), p('decline'), p('refuse'),
    p('keep from'), p('hold back'), p('hold back on'), p('pause'), p('withhold'),
  ],
  governedGap: ['from', 'on', 'to', 'with', 'let', 'you', 'the', 'a', 'an', 'any', 'me', 'us', 'it', 'this', 'that', 'those', 'them', 'my', 'our', 'your', 'please', 'kindly', 'make', 'create', 'generate', 'give', 'get', 'do', 'any more', 'anymore', 'more', 'further'],
  cancel: [
    p('never mind'), p('nevermind'), p('nvm'), p('forget it'), p('forget that'), p('forget about it'), p('forget the'), p('scratch that'), p('cancel that'), p('cancel it'),
    p('cancel the'), p('hold off'), p('no wait'), p('no , wait'), p('hmm no'), p('on reflection'), p('on second think'), p('second thought'), p('wait'), p('scrap that'), p('scrap it'), p('ignore that'), p('i will do it myself'), p('wait no'), p('wait , no'), p('on second thought'), p('on second thoughts'), p('actually no'), p('actually , no'), p('do not bother'), p('ignore that'), p('ignore my last'), p('disregard that'), p('not anymore'), p('changed my mind'), p('change my mind'),
  ],
  hypothetical: [p('if'), p('suppose'), p('supposing'), p('what if'), p('in case'), p('hypothetically'), p('imagine'), p('say i'), p('whether'), p('might'), p('maybe later'), p('later on'), p('eventually')],
  trailingConditions: [p('if i ask'), p('if i want'), p('if i need'), p('if we ask'), p('if we want'), p('if we need'), p('if i tell'), p('if i say'), p('if i decide'), p('if need'), p('if necessary'), p('if require'), p('if i request'), p('if i choose')],
  politeConditionals: [p('if possible'), p('if you can'), p('if you could'), p('if you do not mind'), p('if that be ok'), p('if that be okay'), p('if that be fine'), p('if you please')],
  questionOpeners: [
    p('how'), p('what happen'), p('what would'), p('what will'), p('what do'), p('why'), p('do you'), p('does it'), p('does the'), p('do i'), p('did you'), p('did i'),
    p('would it'), p('will it'), p('could it'), p('can it'), p('is it'), p('be it'), p('be there'), p('should i'), p('should we'), p('can i'), p('could i'), p('may i'),
    p('who'), p('where'), p('when'), p('be you able'), p('what be'),
  ],
  politeRequests: [
    p('can you'), p('could you'), p('would you'), p('will you'), p('can u'), p('could u'), p('would u'), p('please'), p('pls'), p('plz'), p('can i get'), p('could i get'),
    p('can i have'), p('could i have'), p('may i have'), p('would you mind'), p('be it possible'), p('would it be possible'), p('could you please'), p('can you please'),
    p('when you get a chance'), p('when you have a chance'), p('when you get a moment'), p('when you have a moment'), p('when you can'), p('whenever you can'),
  ],
  tentative: [p('maybe'), p('perhaps'), p('possibly'), p('i guess'), p('i suppose'), p('i think you could'), p('i think you should'), p('might as well'), p('probably should'), p('not sure but')],
  reportSubjects: ['i', 'we'],
  reportFillers: ['already', 'just', 'also', 'previously', 'have', 'had', 'did', 'actually', 'myself', 'ourselves', 'both'],
  deferrals: [
    p('tomorrow'), p('tonight'), p('later today'), p('later'), p('next week'), p('next month'), p('next monday'), p('next tuesday'), p('next wednesday'), p('next thursday'), p('next friday'),
    p('on monday'), p('on tuesday'), p('on wednesday'), p('on thursday'), p('on friday'), p('on saturday'), p('on sunday'), p('this afternoon'), p('this evening'),
    p('end of the day'), p('end of the week'), p('end of the month'), p('in an hour'), p('in a few days'), p('in a week'), p('next time'),
  ],
  deferralOpeners: [p('once'), p('after it'), p('after the'), p('after we'), p('after i'), p('when it'), p('when the'), p('when we'), p('as soon as it'), p('as soon as the'), p('as soon as we')],
  affirmations: [
    p('yes'), p('yeah'), p('yep'), p('yup'), p('sure'), p('ok'), p('okay'), p('okey'), p('k'), p('correct'), p('confirm'), p('confirmed'), p('approve'), p('approved'), p('go ahead'), p('go for it'), p('do it'), p('send it'),
    p('send'), p('please do'), p('absolutely'), p('definitely'), p('of course'), p('sound good'), p('that be right'), p('that be correct'), p('yes please'), p('proceed'), p('y'), p('affirmative'), p('please proceed'), p('do that'), p('send that'),
    p('email it'), p('go on'), p('yess'), p('yesss'), p('ys'), p('yea'), p('ya'), p('go ahed'), p('go ahaed'), p('go aheod'), p('sure thing'), p('yes pls'), p('let us do it'), p('make it so'), p('submit'), p('submit it'), p('pass it on'), p('yes send'),
  ],
  refusals: [p('cancel'), p('no'), p('nope'), p('nah'), p('no thanks'), p('no thank you'), p('do not'), p('decline'), p('declined'), p('stop'), p('not now'), p('leave it'), p('do not send'), p('do not send it'), p('n')],
  person: [
    p('talk to a human'), p('talk to a person'), p('talk to someone'), p('talk to somebody'), p('speak to a human'), p('speak to a person'), p('speak to someone'), p('speak with someone'), p('speak with a person'),
    p('real person'), p('human'), p('representative'), p('agent'), p('escalate'), p('call me'), p('call us'), p('contact me'), p('contact us'), p('reach out to me'), p('reach out to us'), p('get back to me'),
    p('get back to us'), p('follow up with me'), p('follow up with us'), p('someone from'), p('somebody from'), p('have someone'), p('have somebody'), p('get someone'), p('open a ticket'), p('raise a ticket'),
    p('connect me'), p('put me through'), p('transfer me'), p('someone in billing'), p('somebody in billing'), p('actual people'), p('real people'), p('actual person'), p('live person'), p('live agent'),
    p('pass this on'), p('pass it on'), p('pass this to'), p('forward this to your'), p('send this to your'), p('a person'), p('callback'), p('call back'), p('phone me'),
    // Passing a question on to the accounts-receivable team (the other-fee answers offer it); never
    // "our billing team" or "to the team: accounting@…", which name the user's own people.
    p('pass my question'), p('pass the question'), p('pass on my question'), p('forward my question'), p('send my question'), p('ask the team'), p('ask your team'),
    p('pass it to the team'), p('pass it to your team'), p('your accounts receivable team'), p('your ar team'), p('your billing team'),
  ],
  frustration: [
    p('useless'), p('not help'), p('not helpful'), p('waste of time'), p('ridiculous'), p('frustrating'), p('frustrated'), p('annoying'), p('stupid'), p('terrible'), p('awful'), p('ugh'), p('argh'), p('this be not work'),
    p('not work'), p('you do not understand'), p('you be not understand'), p('fed up'), p('sick of'), p('hopeless'), p('pointless'), p('worst'), p('forget this bot'), p('forget this'), p('stupid bot'), p('not listen'),
  ],
  filler: ['actually', 'oh', 'oops', 'hmm', 'um', 'sorry', 'please', 'pls', 'plz', 'thanks', 'thank', 'you', 'it', 'that', 'this', 'then', 'now', 'do', 'go', 'ahead', 'and', 'the', 'email', 'one', 'just', 'ok', 'okay', 'yes', 'sure', 'thx', 'ty', 'so', 'send', 'great', 'perfect', 'cool', 'right', 'away'],
};
