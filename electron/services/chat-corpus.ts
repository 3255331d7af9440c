// The built-in chat corpus: conversations from templates this project owns, so a chat model can
// be trained with no network. It is the engine's chat template (<|user|>text<|eot|><|assistant|>
// text<|eot|>) turn after turn with no separator: the token stream chat_prompt builds, so what the
// model learns is what it is asked. The models it is for see 64 characters (micro, 8gb), of which
// chat_prompt keeps 48 for the prompt: every user turn fits that with its markers, and replies stay
// under the engine's default of 200 generated characters. Replies are consistent per question and
// reuse its words ("What is 2 plus 3?" -> "2 plus 3 is 5."), which a small character model learns
// in minutes; user turns vary in case and punctuation, as people type. Plain ASCII with no newlines
// or angle brackets keeps the vocabulary near 70 tokens. Its own seeded PRNG gives one text per
// seed on every platform.

export const CHAT_MARKERS = { user: '<|user|>', assistant: '<|assistant|>', endOfTurn: '<|eot|>' } as const
export const DEFAULT_CHAT_CORPUS_BYTES = 4 * 1024 * 1024
export const DEFAULT_CHAT_CORPUS_SEED = 1

export interface ChatExchange { user: string; assistant: string }
export interface ChatCorpusOptions {
  seed?: number
  /** Upper bound on the corpus length; it holds whole conversations up to it. ASCII, so bytes = characters. */
  bytes?: number
  /** About how much text each chunk of chatCorpusChunks holds. */
  chunkBytes?: number
}

/** One conversation in the engine's chat template. */
export function formatConversation(exchanges: readonly ChatExchange[]): string {
  const { user, assistant, endOfTurn } = CHAT_MARKERS
  return exchanges.map((e) => user + e.user + endOfTurn + assistant + e.assistant + endOfTurn).join('')
}

/** The corpus in pieces of about chunkBytes, so a caller can write several MB without building one string. */
export function* chatCorpusChunks(options: ChatCorpusOptions = {}): Generator<string, void, undefined> {
  const { seed = DEFAULT_CHAT_CORPUS_SEED, bytes = DEFAULT_CHAT_CORPUS_BYTES, chunkBytes = 64 * 1024 } = options
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer (got ${seed})`)
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`bytes must be a positive integer (got ${bytes})`)
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`chunkBytes must be a positive integer (got ${chunkBytes})`)
  const g = new ConversationMaker(new Rng(seed))
  let total = 0
  let chunk = ''
  for (;;) {
    const text = formatConversation(g.conversation())
    if (total + text.length > bytes) break
    total += text.length
    chunk += text
    if (chunk.length >= chunkBytes) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk) yield chunk
}

export function generateChatCorpus(options: ChatCorpusOptions = {}): string {
  return [...chatCorpusChunks(options)].join('')
}

// ---------------------------------------------------------------- random choices

// mulberry32: 32-bit integer arithmetic only (Math.imul, >>>), so it is the same everywhere. The
// seed's high word is mixed in by a multiply, so no two safe integers start from one state.
class Rng {
  private state: number
  constructor(seed: number) { this.state = ((seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296), 0x85ebca6b) ^ 0x9e3779b9) >>> 0 }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  below(n: number): number { return Math.floor(this.next() * n) }
  chance(p: number): boolean { return this.next() < p }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)] }
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
const an = (noun: string): string => (/^[aeiou]/.test(noun) ? 'an ' : 'a ') + noun

// ---------------------------------------------------------------- what the corpus talks about

interface Animal { name: string; plural: string; sound: string; home: string; food: string; legs: string; fly?: boolean; swim?: boolean; big?: boolean; facts: string[] }
// sound completes "A cow ...", home "lives ...", food "eats ...", legs "has ...". fly/swim/big
// are asked only where they are set, so no answer is doubtful.
const A = (name: string, plural: string, sound: string, home: string, food: string, legs: string,
  flags: Partial<Pick<Animal, 'fly' | 'swim' | 'big'>>, ...facts: string[]): Animal => ({ name, plural, sound, home, food, legs, ...flags, facts })
const animals: Animal[] = [
  A('cat', 'cats', 'says meow', 'in a house with people', 'fish and meat', 'four legs', { fly: false, big: false },
    'Cats are soft and they love to sleep in the sun.', 'Cats can see very well in the dark.', 'Cats like to chase mice and play with string.'),
  A('dog', 'dogs', 'says woof', 'in a house with people', 'meat and dog food', 'four legs', { fly: false, swim: true },
    'Dogs are friendly and loyal.', 'Dogs love to run, play and fetch a ball.', 'Dogs can smell things from very far away.'),
  A('cow', 'cows', 'says moo', 'on a farm', 'grass and hay', 'four legs', { fly: false, big: true }, 'Cows give us milk.', 'Cows eat grass all day long.'),
  A('duck', 'ducks', 'says quack', 'near a pond', 'seeds and bugs', 'two legs', { fly: true, swim: true, big: false },
    'Ducks can swim, walk and fly.', 'Ducks have webbed feet for swimming.'),
  A('pig', 'pigs', 'says oink', 'on a farm', 'almost anything', 'four legs', { fly: false }, 'Pigs are very clever animals.', 'Pigs roll in the mud to stay cool.'),
  A('horse', 'horses', 'says neigh', 'on a farm or in a stable', 'hay, grass and apples', 'four legs', { fly: false, big: true },
    'Horses can run very fast.', 'Horses can sleep standing up.'),
  A('owl', 'owls', 'says hoot', 'in a tree', 'mice and bugs', 'two legs', { fly: true },
    'Owls are awake at night and sleep in the day.', 'Owls can turn their heads very far.'),
  A('lion', 'lions', 'roars', 'on the grassland', 'meat', 'four legs', { fly: false, big: true },
    'Lions are big cats with a loud roar.', 'Lions live in groups called prides.'),
  A('frog', 'frogs', 'says ribbit', 'near a pond', 'flies and bugs', 'four legs', { fly: false, swim: true, big: false },
    'Frogs start life as tadpoles in the water.', 'Frogs can jump very far.'),
  A('bee', 'bees', 'says buzz', 'in a hive', 'nectar from flowers', 'six legs', { fly: true, swim: false, big: false }, 'Bees make honey.', 'Bees help flowers to grow.'),
  A('snake', 'snakes', 'says hiss', 'in the grass', 'mice and eggs', 'no legs', { fly: false },
    'Snakes have no legs, so they slide along the ground.', 'Snakes smell with their tongues.'),
  A('mouse', 'mice', 'says squeak', 'in a small hole', 'seeds and cheese', 'four legs', { fly: false, big: false },
    'Mice are small and quick.', 'Mice have long tails and tiny feet.'),
  A('fish', 'fish', 'does not make a sound', 'in the water', 'small plants and bugs', 'no legs', { swim: true },
    'Fish breathe water with their gills.', 'Fish swim with their fins and tails.'),
  A('bird', 'birds', 'says tweet', 'in a nest', 'seeds and worms', 'two legs', { fly: true, big: false },
    'Birds have feathers and most of them can fly.', 'Birds build nests for their eggs.'),
  A('elephant', 'elephants', 'trumpets', 'in Africa and Asia', 'grass, leaves and fruit', 'four legs', { fly: false, swim: true, big: true },
    'Elephants are the biggest animals on land.', 'Elephants have long trunks and big ears.'),
  A('monkey', 'monkeys', 'says ooh ooh ah ah', 'in the jungle', 'bananas and fruit', 'two legs and two arms', { fly: false },
    'Monkeys love to climb trees.', 'Monkeys live in family groups.'),
  A('rabbit', 'rabbits', 'does not make much sound', 'in a burrow', 'carrots and grass', 'four legs', { fly: false, big: false },
    'Rabbits have long ears and love to hop.', 'Rabbits live in holes under the ground.'),
  A('bear', 'bears', 'growls', 'in the forest', 'berries, fish and honey', 'four legs', { fly: false, swim: true, big: true },
    'Bears sleep through the winter.', 'Bears love honey and berries.'),
  A('fox', 'foxes', 'yips and barks', 'in the forest', 'mice and berries', 'four legs', { fly: false }, 'Foxes are clever and quick.', 'Foxes have bushy tails.'),
  A('penguin', 'penguins', 'squawks', 'near the ice in the cold south', 'fish', 'two legs', { fly: false, swim: true },
    'Penguins are birds that cannot fly, but they swim very well.', 'Penguins live where it is very cold.'),
]

// [thing, its colour]: asked as "What color is <thing>?", answered "<Thing> is <colour>."
const coloured: [string, string][] = [
  ['the sky', 'blue'], ['the sea', 'blue'], ['a blueberry', 'blue'], ['grass', 'green'], ['a leaf', 'green'],
  ['a frog', 'green'], ['a lime', 'green'], ['a cucumber', 'green'], ['the sun', 'yellow'], ['a banana', 'yellow'],
  ['a lemon', 'yellow'], ['corn', 'yellow'], ['a school bus', 'yellow'], ['snow', 'white'], ['a cloud', 'white'],
  ['milk', 'white'], ['a polar bear', 'white'], ['a strawberry', 'red'], ['a tomato', 'red'], ['a cherry', 'red'],
  ['a fire truck', 'red'], ['a rose', 'red'], ['an apple', 'red or green'], ['a carrot', 'orange'],
  ['an orange', 'orange'], ['a pumpkin', 'orange'], ['chocolate', 'brown'], ['a tree trunk', 'brown'],
  ['coal', 'black'], ['a crow', 'black'], ['an elephant', 'grey'], ['a plum', 'purple'], ['an eggplant', 'purple'],
  ['a flamingo', 'pink'], ['a pig', 'pink'], ['a panda', 'black and white'], ['a zebra', 'black and white'],
  ['a tiger', 'orange with black stripes'], ['the moon', 'white and grey'], ['the night sky', 'dark blue and black'],
]
const colours = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'grey']
const mixes: [string, string, string][] = [['red', 'yellow', 'orange'], ['blue', 'yellow', 'green'], ['red', 'blue', 'purple'],
  ['red', 'white', 'pink'], ['black', 'white', 'grey'], ['blue', 'white', 'light blue']]

interface Weather { name: string; user: string[]; now: string; reply: string; wear: string }
const weathers: Weather[] = [
  { name: 'sunny', user: ['It is sunny today', "It's sunny outside", 'The sun is shining'], now: 'sunny and warm',
    reply: 'Sunny days are the best! Remember to wear a hat.', wear: 'a hat, sunglasses and light clothes' },
  { name: 'rainy', user: ['It is raining', "It's raining outside", 'It is rainy today'], now: 'rainy and wet',
    reply: 'Rain is good for the plants. Stay dry and take an umbrella!', wear: 'a raincoat and boots, and take an umbrella' },
  { name: 'cloudy', user: ['It is cloudy today', "It's very cloudy", 'The sky is grey today'], now: 'cloudy and cool',
    reply: 'Cloudy days are calm. Maybe it will rain later.', wear: 'a light jacket' },
  { name: 'windy', user: ['It is windy today', "It's so windy outside"], now: 'windy',
    reply: 'Hold on to your hat! It is a good day to fly a kite.', wear: 'a jacket that keeps out the wind' },
  { name: 'snowy', user: ['It is snowing', "It's snowing outside", 'There is snow everywhere'], now: 'snowy and cold',
    reply: 'Snow is fun! You can build a snowman.', wear: 'a warm coat, a hat, a scarf and gloves' },
  { name: 'foggy', user: ['It is foggy today', "It's very foggy"], now: 'foggy',
    reply: 'Be careful, it is hard to see in the fog.', wear: 'bright clothes so people can see you' },
  { name: 'stormy', user: ['There is a storm', 'It is stormy today', 'I hear thunder'], now: 'stormy',
    reply: 'Stay inside and keep safe until the storm is over.', wear: 'a raincoat, and stay inside if you can' },
  { name: 'hot', user: ['It is so hot today', "It's very hot outside", 'I am too hot'], now: 'very hot',
    reply: 'Drink lots of water and stay in the shade.', wear: 'light clothes and a sun hat' },
  { name: 'cold', user: ['It is cold today', "It's freezing outside", 'I am cold'], now: 'cold',
    reply: 'Wear a warm coat and have a hot drink.', wear: 'a warm coat, a hat and gloves' },
]
const seasons: [string, string][] = [['spring', 'it is warm and the flowers start to grow'], ['summer', 'it is hot and sunny'],
  ['autumn', 'it is cool and the leaves fall from the trees'], ['winter', 'it is cold and it can snow']]

const dayParts = ['morning', 'afternoon', 'evening', 'night']
const partGreeting: Record<string, string[]> = {
  morning: ['Good morning! Did you sleep well?', 'Good morning! I hope you have a nice day.'],
  afternoon: ['Good afternoon! How is your day going?', 'Good afternoon! I hope your day is going well.'],
  evening: ['Good evening! How was your day?', 'Good evening! I hope you had a nice day.'],
  night: ['Good night! Sleep well and sweet dreams.', 'Good night! See you tomorrow.'],
}
const partActivity: Record<string, string> = {
  morning: 'In the morning I wake up, stretch and eat breakfast.', afternoon: 'In the afternoon I like to go for a walk in the park.',
  evening: 'In the evening I eat dinner and read a book.', night: 'At night I go to sleep and have sweet dreams.' }
const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const units: [string, string, string][] = [['days', 'a week', 'seven'], ['hours', 'a day', '24'], ['minutes', 'an hour', '60'],
  ['seconds', 'a minute', '60'], ['months', 'a year', '12'], ['days', 'a year', '365'], ['weeks', 'a year', '52']]

const numberWords = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven',
  'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty']
const names = ['Sam', 'Alex', 'Mia', 'Leo', 'Emma', 'Noah', 'Lily', 'Max', 'Zoe', 'Ben', 'Ava', 'Tom', 'Ella', 'Jack',
  'Ruby', 'Finn', 'Anna', 'Omar', 'Nina', 'Ravi', 'Kai', 'Lucy', 'Hugo', 'Ivy', 'Sara', 'Dan', 'Maya', 'Eli']
const liked = ['music', 'books', 'pizza', 'games', 'cats', 'dogs', 'the rain', 'ice cream', 'football', 'drawing',
  'flowers', 'the sea', 'cake', 'trains', 'stars', 'apples', 'dancing', 'swimming']
const jokes = ['Why did the cat sit on the computer? To keep an eye on the mouse!', 'What do you call a sleeping dinosaur? A dino-snore!',
  'Why are fish so smart? Because they live in schools!', 'What do you call a bear with no teeth? A gummy bear!',
  'Why did the cow cross the road? To get to the udder side!', 'What do you call a cold dog? A chili dog!']

// ---------------------------------------------------------------- stories

const storyAdjectives = ['little', 'brave', 'curious', 'happy', 'sleepy', 'clever', 'tiny', 'kind', 'shy', 'friendly']
const storyPlaces = ['in a big forest', 'near a quiet lake', 'on a small farm', 'in a cozy house', 'under an old tree',
  'by the sea', 'on a green hill', 'in a busy town']
// [what happened, how it turned out]. {hero} is the story's animal, {friend} another: the hero is
// named again in each sentence, within the 64 characters a model sees, so it can stay the same.
const storyPlots: [string, string[]][] = [
  ['found a shiny red ball', ['The {hero} played with the ball all day long.', 'The {hero} shared the ball with its friends.']],
  ['got lost in the woods', ['A kind {friend} showed the {hero} the way home.', 'The {hero} followed the stars and found its way home.']],
  ['wanted to see the sea', ['The {hero} walked and walked until it saw the big blue waves.']],
  ['met a friendly {friend}', ['The {hero} and the {friend} played until the sun went down.', 'The {hero} and the {friend} became best friends.']],
  ['lost its favorite hat', ['The {hero} looked everywhere and found the hat under its bed.']],
  ['saw a big rainbow', ['The {hero} ran to the end of the rainbow and found a field of flowers.']],
  ['heard a strange noise', ['It was only the wind, so the {hero} laughed and went back to sleep.']],
  ['found a little seed', ['The {hero} planted the seed, and it grew into a big tree.']],
  ['wanted to fly', ['A bird taught the {hero} to jump very high, and it felt like flying.']],
  ['found a box of cookies', ['The {hero} shared the cookies with a hungry {friend}.']],
  ['could not sleep', ['Its mother sang a soft song, and soon the {hero} was fast asleep.']],
]
const storyEndings = ['The end.', 'It was a very happy day. The end.', 'And it lived happily ever after.']

// ---------------------------------------------------------------- the conversations

type Topic = () => ChatExchange
const ask = (user: string, assistant: string): ChatExchange => ({ user, assistant })

class ConversationMaker {
  private readonly topics: [number, Topic][]
  constructor(private readonly rng: Rng) {
    this.topics = [[6, () => this.smallTalk()], [3, () => this.feeling()], [4, () => this.timeOfDay()], [4, () => this.weather()],
      [4, () => this.colour()], [5, () => this.animal()], [6, () => this.arithmetic()], [4, () => this.story()], [1, () => this.joke()]]
  }

  conversation(): ChatExchange[] {
    const r = this.rng
    const out: ChatExchange[] = []
    if (r.chance(0.5)) {
      const g = this.greeting()
      out.push(g)
      if (g.assistant.endsWith('How are you today?') && r.chance(0.6)) out.push(this.feeling())
    }
    for (let n = out.length ? r.below(3) : 1 + r.below(2); n > 0; n--) out.push(this.topic())
    if (r.chance(0.15)) out.push(ask(this.user(r.pick(['Thank you', 'Thanks', 'Thanks a lot', 'Thank you so much'])),
      r.pick(["You're welcome!", 'You are welcome! Happy to help.', 'Any time!'])))
    if (r.chance(0.15)) out.push(ask(this.user(r.pick(['Bye', 'Goodbye', 'See you later', 'Bye bye', 'See you soon'])),
      r.pick(['Goodbye! Have a nice day!', 'Bye! See you soon.', 'Goodbye! It was nice talking to you.'])))
    return out
  }

  private topic(): ChatExchange {
    let w = this.rng.below(this.topics.reduce((s, [weight]) => s + weight, 0))
    for (const [weight, topic] of this.topics) if ((w -= weight) < 0) return topic()
    throw new Error('unreachable')
  }

  /** How people type: sometimes all lower case, sometimes without the final mark. */
  private user(text: string, mark = ''): string {
    const r = this.rng
    let s = text + (mark && r.chance(0.6) ? mark : '')
    if (r.chance(0.2)) s = s.toLowerCase()
    return s
  }

  private greeting(): ChatExchange {
    const r = this.rng
    const word = r.pick(['Hello', 'Hello', 'Hello', 'Hi', 'Hi', 'Hey', 'Hello there', 'Hi there', 'Hey there', 'Howdy', 'Greetings'])
    const back = word === 'Howdy' || word === 'Greetings' ? 'Hello' : word
    const rest = r.chance(0.6) ? 'How are you today?'
      : r.pick(['How are you doing?', 'How can I help you today?', 'What would you like to talk about?', 'It is nice to see you.'])
    return ask(this.user(word, r.pick(['!', '.', '!!'])), `${back}! ${rest}`)
  }

  private feeling(): ChatExchange {
    const r = this.rng
    if (r.chance(0.35)) return ask(this.user(r.pick(['How are you', 'How are you doing', 'How is it going', 'How are you today',
      'How have you been']), '?'), r.pick(["I'm doing well, thank you! How about you?", 'I am great, thanks for asking! How are you?',
      "I'm fine, thank you. And you?"]))
    if (r.chance(0.7)) return ask(this.user(r.pick(["I'm fine", "I'm good", 'I am good, thanks', "I'm great", 'I am doing well',
      'Not bad', 'Pretty good', "I'm happy", 'Very well, thank you']), r.pick(['.', '!'])),
    r.pick(["That's great to hear! What would you like to talk about?", "I'm glad to hear that!", 'Wonderful! What shall we talk about?']))
    if (r.chance(0.3)) return ask(this.user(r.pick(["I'm tired", 'I am so tired', 'I feel sleepy'])),
      r.pick(['You should get some rest. A short nap can help.', 'Maybe it is time for a good sleep.']))
    return ask(this.user(r.pick(["I'm sad", 'Not so good', 'I feel sick', "I'm not feeling well", 'I had a bad day'])),
      r.pick(["I'm sorry to hear that. I hope you feel better soon.", 'Oh no! Maybe a short story will cheer you up.']))
  }

  private smallTalk(): ChatExchange {
    const r = this.rng
    const t = (users: string[], replies: string[], mark = '?'): ChatExchange => ask(this.user(r.pick(users), mark), r.pick(replies))
    const name = r.pick(names)
    switch (r.below(14)) {
      case 0: return this.greeting()
      case 1: return t(['What is your name', "What's your name", 'Who are you', 'Do you have a name'],
        ['My name is Micro. I am a tiny chat model.', 'I am Micro, a small language model. What is your name?'])
      case 2: return ask(this.user(r.pick(['My name is ', 'I am ', "I'm ", 'Call me ']) + name),
        r.pick([`Nice to meet you, ${name}!`, `Hello, ${name}! It is nice to meet you.`]))
      case 3: return t(['What can you do', 'What do you do', 'How can you help me'],
        ['I can chat with you, do simple sums and tell short stories.', 'I can talk about animals, colors and the weather, and I can tell stories.'])
      case 4: return t(['Where do you live', 'Where are you'], ['I live inside a small computer called a Raspberry Pi.'])
      case 5: return t(['How old are you', 'When were you born'], ['I am very young. I learned to talk only today!'])
      case 6: return t(['Are you a robot', 'Are you human', 'Are you real'], ['I am a computer program, not a person. But I like to chat!'])
      case 7: { const x = r.pick(liked)
        return ask(this.user(`Do you like ${x}`, '?'), r.pick([`Yes, I like ${x}! What about you?`, `I love ${x}!`])) }
      case 8: { const x = r.pick(liked)
        return ask(this.user(`I like ${x}`, r.pick(['.', '!'])), r.pick([`${cap(x)} sounds great!`, `Me too! I like ${x} as well.`])) }
      case 9: return t(['What is your favorite food', 'What do you like to eat'], ['I do not eat, but pizza sounds very tasty!'])
      case 10: return t(['Can you help me', 'I need help', 'Will you help me'], ['Of course! What do you need help with?'])
      case 11: return t(['What are you doing', 'What are you up to'], ['I am chatting with you!', 'Just waiting to talk with you!'])
      case 12: return t(['I am bored', "I'm bored", 'I have nothing to do'],
        ["Let's play a game! Ask me a sum, or I can tell you a story."], '.')
      default: return t(['You are funny', 'You are smart', 'I like you', 'You are nice', 'Good job'],
        ['Thank you! You are very kind.', 'Thanks! That makes me happy.'], '!')
    }
  }

  private timeOfDay(): ChatExchange {
    const r = this.rng
    const part = r.pick(dayParts)
    const next = (list: string[], x: string): string => list[(list.indexOf(x) + 1) % list.length]
    switch (r.below(9)) {
      case 0: case 1: return ask(this.user(`Good ${part}`, '!'), r.pick(partGreeting[part]))
      case 2: return ask(this.user(r.pick(['What time is it', 'What is the time', 'Do you know the time']), '?'),
        r.pick(["I don't have a clock, but I hope you are having a nice day.", 'I cannot see a clock, sorry! You can check the time on your phone.']))
      case 3: { const d = r.pick(days)
        return ask(this.user(r.pick([`What day comes after ${d}`, `What is the day after ${d}`]), '?'), `After ${d} comes ${next(days, d)}.`) }
      case 4: { const m = r.pick(months)
        return ask(this.user(`What month comes after ${m}`, '?'), `After ${m} comes ${next(months, m)}.`) }
      case 5: { const [many, per, n] = r.pick(units)
        return ask(this.user(`How many ${many} are in ${per}`, '?'), `There are ${n} ${many} in ${per}.`) }
      case 6: return r.chance(0.5)
        ? ask(this.user('When does the sun rise', '?'), 'The sun rises in the morning, in the east.')
        : ask(this.user('When does the sun set', '?'), 'The sun sets in the evening, in the west.')
      case 7: return ask(this.user(`What do you do in the ${part}`, '?'), partActivity[part])
      default: return ask(this.user(`What comes after ${part === 'night' ? 'the night' : part}`, '?'),
        `After the ${part} comes the ${next(dayParts, part)}.`)
    }
  }

  private weather(): ChatExchange {
    const r = this.rng
    const w = r.pick(weathers)
    switch (r.below(7)) {
      case 0: case 1: return ask(this.user(r.pick(['How is the weather', 'What is the weather like today', "What's the weather like",
        'How is the weather today']), '?'), r.chance(0.7) ? `It is ${w.now} today. ${w.reply}` : "I can't look outside, but I hope it is sunny where you are!")
      case 2: case 3: return ask(this.user(r.pick(w.user), r.pick(['.', '!'])), w.reply)
      case 4: return ask(this.user(`What should I wear when it is ${w.name}`, '?'), `When it is ${w.name}, wear ${w.wear}.`)
      case 5: { const [s, like] = r.pick(seasons)
        return ask(this.user(`What is the weather like in ${s}`, '?'), `In ${s} ${like}.`) }
      default: return r.pick([
        ask(this.user('What is a rainbow', '?'), 'A rainbow is an arc of colors in the sky. You see one when the sun shines after rain.'),
        ask(this.user('Why does it rain', '?'), 'Rain comes from clouds. When a cloud gets heavy with water, the water falls as rain.'),
        ask(this.user('Where does snow come from', '?'), 'Snow comes from clouds when the air is very cold.'),
        ask(this.user('Is it going to rain', '?'), "I can't see the sky, but it is good to take an umbrella just in case."),
      ])
    }
  }

  private colour(): ChatExchange {
    const r = this.rng
    const [thing, colour] = r.pick(coloured)
    switch (r.below(8)) {
      case 0: case 1: case 2: return ask(this.user(`${r.pick(['What color is', 'What colour is', 'Which color is'])} ${thing}`, '?'),
        `${cap(thing)} is ${colour}.`)
      case 3: { const [c, items] = this.colourWithThings()
        return ask(this.user(r.pick([`Name something ${c}`, `What is ${c}`, `Tell me something ${c}`]), '?'), `${cap(r.pick(items))} is ${c}.`) }
      case 4: { const [a, b, mix] = r.pick(mixes)
        return ask(this.user(`What do you get if you mix ${a} and ${b}`, '?'), `If you mix ${a} and ${b}, you get ${mix}.`) }
      case 5: return ask(this.user(r.pick(['What is your favorite color', 'What color do you like']), '?'),
        `My favorite color is ${r.pick(colours)}. What is yours?`)
      case 6: { const c = r.pick(colours)
        return ask(this.user(r.pick([`My favorite color is ${c}`, `I like ${c}`]), r.pick(['.', '!'])),
          r.pick([`${cap(c)} is a lovely color!`, `${cap(c)} is a great choice!`])) }
      default: return ask(this.user(r.pick(['How many colors are in a rainbow', 'What are the colors of the rainbow']), '?'),
        'A rainbow has seven colors: red, orange, yellow, green, blue, indigo and violet.')
    }
  }

  private colourWithThings(): [string, string[]] {
    const c = this.rng.pick(['blue', 'green', 'yellow', 'white', 'red', 'orange', 'black', 'purple', 'pink'])
    return [c, coloured.filter(([, k]) => k === c).map(([t]) => t)]
  }

  private animal(): ChatExchange {
    const r = this.rng
    const a = r.pick(animals)
    const An = cap(an(a.name))
    const x = (text: string, mark: string): string => this.user(text, mark)
    switch (r.below(10)) {
      case 0: case 1: return ask(x(r.pick([`What does ${an(a.name)} say`, `What sound does ${an(a.name)} make`]), '?'), `${An} ${a.sound}.`)
      case 2: case 3: return ask(x(r.pick([`Tell me about ${a.plural}`, `What do you know about ${a.plural}`,
        `Tell me something about ${a.plural}`]), r.pick(['?', '.'])), r.chance(0.5) ? r.pick(a.facts) : a.facts.join(' '))
      case 4: return ask(x(`Where does ${an(a.name)} live`, '?'), `${An} lives ${a.home}.`)
      case 5: return ask(x(`What does ${an(a.name)} eat`, '?'), `${An} eats ${a.food}.`)
      case 6: return ask(x(`How many legs does ${an(a.name)} have`, '?'), `${An} has ${a.legs}.`)
      case 7: {
        const skill = a.fly !== undefined && (a.swim === undefined || r.chance(0.5)) ? 'fly' : a.swim !== undefined ? 'swim' : undefined
        if (!skill) return ask(x(`What does ${an(a.name)} say`, '?'), `${An} ${a.sound}.`)
        const yes = skill === 'fly' ? a.fly : a.swim
        return ask(x(`Can ${an(a.name)} ${skill}`, '?'), yes ? `Yes, ${an(a.name)} can ${skill}.` : `No, ${an(a.name)} cannot ${skill}.`)
      }
      case 8:
        if (a.big !== undefined) return ask(x(`Is ${an(a.name)} big or small`, '?'), `${An} is ${a.big ? 'big' : 'small'}.`)
        return ask(x(`Tell me about ${a.plural}`, '.'), r.pick(a.facts)) // its size is not clear-cut
      default: return ask(x(r.pick(['What is your favorite animal', 'What animal do you like']), '?'),
        `I like ${a.plural}. ${r.pick(a.facts)}`)
    }
  }

  /** Sums with small numbers, the question's numbers and operator copied into the answer. */
  private arithmetic(): ChatExchange {
    const r = this.rng
    const words = r.chance(0.2)
    const say = (n: number, first = false): string => (words ? (first ? cap(numberWords[n]) : numberWords[n]) : String(n))
    if (r.below(10) === 0) {
      const n = 2 + r.below(9)
      const counted = Array.from({ length: n }, (_, i) => say(i + 1, i === 0)).join(', ')
      return ask(this.user(`Count to ${say(n)}`), `${counted}.`)
    }
    const op = r.pick(['plus', 'plus', 'minus', 'times'] as const)
    let a = r.below(11)
    let b = r.below(11)
    if (op === 'minus' && b > a) [a, b] = [b, a]
    const value = op === 'plus' ? a + b : op === 'minus' ? a - b : a * b
    if (words && value > 20) return this.arithmetic()
    const symbol = { plus: '+', minus: '-', times: 'x' }[op]
    if (!words && r.chance(0.3)) return ask(this.user(`What is ${a} ${symbol} ${b}`, '?'), `${a} ${symbol} ${b} = ${value}.`)
    const q = r.pick(['What is', 'What is', 'What is', "What's", 'How much is', ...(op === 'plus' ? ['Can you add'] : [])])
    const question = q === 'Can you add' ? `Can you add ${say(a)} and ${say(b)}` : `${q} ${say(a)} ${op} ${say(b)}`
    return ask(this.user(question, '?'), `${q === 'Can you add' ? 'Sure! ' : ''}${say(a, true)} ${op} ${say(b)} is ${say(value)}.`)
  }

  private story(): ChatExchange {
    const r = this.rng
    const hero = r.pick(animals)
    const about = r.chance(0.4)
    const request = about
      ? r.pick([`Tell me a story about ${an(hero.name)}`, `Can you tell me a story about ${an(hero.name)}`, `Tell me a story about ${hero.plural}`])
      : r.pick(['Tell me a story', 'Tell me a story', 'Tell me a story please', 'Can you tell me a story', 'Please tell me a story',
        'Tell me a short story', 'Tell me a bedtime story', 'I want to hear a story'])
    for (;;) {
      const friend = r.pick(animals.filter((a) => a !== hero)).name
      const [event, outcomes] = r.pick(storyPlots)
      const text = [
        `Once upon a time, there was ${an(r.pick(storyAdjectives))} ${hero.name}.`, `The ${hero.name} lived ${r.pick(storyPlaces)}.`,
        `One day, the ${hero.name} ${event}.`, r.pick(outcomes), r.pick(storyEndings),
      ].join(' ').replaceAll('{hero}', hero.name).replaceAll('{friend}', friend)
      if (text.length <= 190) return ask(this.user(request, request.startsWith('Can') ? '?' : r.pick(['.', '!'])), text)
    }
  }

  private joke(): ChatExchange {
    const r = this.rng
    return ask(this.user(r.pick(['Tell me a joke', 'Do you know a joke', 'Say something funny']), r.pick(['?', '!'])), r.pick(jokes))
  }
}
