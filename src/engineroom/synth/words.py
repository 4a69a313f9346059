"""Word lists and text templates for the synthetic corpus (written for engineroom; no third-party text).

Templates are Python format strings whose ``{slots}`` are filled from :data:`SLOTS` (or, for the
slots named in :data:`CONTEXT_SLOTS`, from the planted scenario: the campaign's target, the
operation's fake-news domain, ...). Categories:

- organic chatter (politics, everyday life, news links), replies and quote comments;
- identity statements and neutral posts about Jewish life or Israeli politics, and criticism of a
  government that is *not* antisemitic — so that classifiers are tested on what they must not flag;
- counter-speech that condemns antisemitism (it may quote the narrative's words to reject them);
- the planted narrative ("antisemitism is a smear / weaponised / a witch-hunt");
- antisemitic posts built on coded tropes (Rothschild bankers, "ZioNazi", (((echoes))), control of
  the media, dual loyalty, Holocaust denial). These exist only to test detectors; they are labelled
  hateful in the ground truth;
- the hashtag campaign against a fictional politician, the hashtag burst, and the operation's
  fake-news headlines.

All names of people, handles and domains used for planted roles are fictional.
"""

from __future__ import annotations

FIRST_NAMES = """
james oliver harry jack george noah charlie jacob alfie freddie oscar leo archie henry joshua
thomas william ethan max isaac lucas daniel samuel adam ben david joe liam ryan sean aaron
olivia amelia isla ava emily sophia grace mia poppy ella lily evie jessica sophie chloe lucy
hannah rosie ruby holly anna kate laura sarah emma rachel megan amy beth claire fiona helen
jo nina priya aisha fatima zara omar ali yusuf hamza imran ravi arjun sunil anil deepa meera
tom rob mike steve paul mark gary kevin dave chris nick pete andy tony ian neil phil
karen julie debbie tracy lisa mandy nicola gemma kerry leanne jenny vicky sam alex jamie
""".split()

LAST_NAMES = """
smith jones taylor brown williams wilson johnson davies robinson wright thompson evans walker
white roberts green hall wood jackson clarke patel khan lewis james phillips mason mitchell
rose davis rodriguez cox lee martin harris morgan cooper ward hughes turner hill moore king
baker scott young allen price bennett hunt murray palmer grant shaw lloyd ellis fox marshall
owen holmes webb barker kelly reid gray ross stone wells carter hudson gibson pearce kaur
singh ahmed hussain begum ali shah mahmood o'brien murphy byrne walsh doyle kennedy quinn
""".split()

NOUNS = """
fox otter wren robin badger heron kestrel hedgehog lighthouse harbour meadow river valley
kettle teapot biscuit garden allotment bicycle guitar piano vinyl camera compass lantern
anchor maple willow thistle acorn pebble comet rocket pixel atlas ledger quill
""".split()

ADJECTIVES = """
quiet grumpy sunny rainy lazy happy northern southern little big old young wild urban
rural sleepy curious stubborn honest cheeky random daily weekend midnight red blue green
""".split()

PLACES = """
Leeds Bristol Manchester Glasgow Cardiff Birmingham Norwich Brighton Hull Leicester Sheffield
Newcastle Liverpool Derby Exeter York Nottingham Coventry Plymouth Swansea Aberdeen Dundee
Belfast Oxford Cambridge Reading Luton Bradford Stoke Sunderland Bath Chester Lancaster
""".split()

LOCATIONS = [
    "London", "London, England", "Manchester, UK", "Leeds", "Bristol", "Glasgow, Scotland",
    "Cardiff, Wales", "Birmingham", "UK", "England", "Yorkshire", "North West", "Brighton",
    "Edinburgh", "Liverpool", "Newcastle upon Tyne", "Belfast", "Norfolk", "Kent", "Devon",
    "", "", "", "", "", "somewhere wet", "the North", "Earth", "Europe", "Dublin, Ireland",
]

BIO_TEMPLATES = [
    "{interest} fan. {interest2}. Views my own.",
    "Dad of two. {interest} and {interest2}. {place} born and bred.",
    "Mum, {job}, {interest} enthusiast.",
    "{job} in {place}. Tweets about {interest} and politics.",
    "Retired {job}. Still shouting at the telly.",
    "{interest} | {interest2} | {place}",
    "Proud {place} lad. {team} till I die.",
    "Trying my best. {interest}. She/her.",
    "{job}. {interest2}. RTs are not endorsements.",
    "Just here for the {interest} chat.",
    "{team} season ticket holder. {job}.",
    "Lifelong {party_member} member. {place}.",
    "",
    "",
]

#: organic bios are 0-3 of these fragments in random order (so they rarely repeat, unlike an
#: operation's templated bios)
BIO_FRAGMENTS = [
    "{job}", "{interest} fan", "Dad of {n}", "Mum of {n}", "{place} born and bred", "{team} till I die",
    "Views my own", "RTs are not endorsements", "she/her", "he/him", "they/them", "Trying my best",
    "Lifelong {party_member} member", "Part-time {interest} nerd", "Probably at {activity}",
    "{job} by day, {interest} by night", "Coffee first", "Proud {place} lad", "Proud {place} lass",
    "Opinions my own", "Cat person", "Dog person", "Amateur {interest}", "Likes {interest} and {interest2}",
    "Recovering {job}", "Ex-{job}", "Husband and father", "Wife and mum", "Grandad of {n}",
    "Mental health matters", "Will talk about {food} for hours", "{show} obsessive", "Parkrunner",
    "Season ticket holder, {team}", "Living in {place}", "Originally from {place}", "Runs on tea",
    "Not a bot", "Blocks trolls", "Union member", "Governor at a {place} primary", "Volunteer at the food bank",
    "Allotment holder", "Retired {job}", "Still learning", "{interest}, {interest2}",
    "Posts about {issue}", "Grumpy about {issue}", "Writing a novel (slowly)", "PhD in {interest}",
]
BIO_SEPARATORS = [". ", " | ", " · ", ", ", " / ", ". "]

#: the engine room's bios: activist fragments mixed with ordinary ones
ACTIVIST_BIO_FRAGMENTS = [
    "Socialist", "Anti-racist", "Not going anywhere", "Member since {year}", "Still fighting",
    "For the many", "Blocked by the best", "Union rep", "Free speech absolutist", "Grassroots activist",
    "DMs open", "Solidarity forever", "Tory-free zone", "Media lies, I don't",
]

INTERESTS = """
football cricket rugby gardening baking cycling running hiking birdwatching photography
music vinyl gigs theatre books crime-fiction history politics science astronomy gaming
knitting cooking coffee real-ale dogs cats climbing swimming chess jazz folk-music films
""".split()

JOBS = """
teacher nurse GP paramedic plumber electrician accountant engineer developer designer
journalist student lecturer librarian chef barista carpenter solicitor civil-servant
pharmacist midwife firefighter bus-driver shop-owner farmer researcher carer
""".split()

TEAMS = """
Leeds-United Man-City Liverpool Arsenal Spurs Everton Newcastle Villa Wolves Forest
Celtic Rangers Hull-City Norwich Bristol-City Sheffield-United Derby-County Sunderland
""".split()

PARTIES = ["Labour", "the Tories", "the Lib Dems", "the Greens", "Reform", "the SNP",
           "the government", "the opposition", "Plaid", "the Conservatives"]

PARTY_MEMBERS = ["Labour", "Green Party", "Lib Dem", "Conservative", "trade union", "SNP"]

POLICIES = [
    "the budget", "the housing bill", "rail nationalisation", "the NHS funding plan",
    "tuition fees", "the energy price cap", "the immigration bill", "the childcare pledge",
    "the new planning rules", "the minimum wage rise", "council tax reform",
    "the water companies bill", "the green investment plan", "the schools white paper",
    "the pensions triple lock", "the bus fare cap", "the social care plan",
]

ISSUES = [
    "the cost of living", "NHS waiting lists", "potholes", "rents", "energy bills",
    "child poverty", "the climate", "sewage in our rivers", "bus services", "school funding",
    "dentist waiting lists", "food prices", "mortgage rates", "youth clubs closing",
    "the state of the trains", "local libraries",
]

POL_VERDICTS = [
    "is a disaster", "is long overdue", "won't fix anything", "is actually sensible",
    "is being spun to death", "needs proper scrutiny", "is a step in the right direction",
    "is pure theatre", "is better than nothing", "makes no sense at all",
    "could work if they fund it", "will hit the poorest hardest",
]

FOODS = ["a bacon butty", "fish and chips", "a curry", "beans on toast", "a roast dinner",
         "pancakes", "a full English", "a chip butty", "lasagne", "a pork pie", "ramen",
         "a sausage roll", "cheese on toast", "a jacket potato"]

SHOWS = ["Bake Off", "Match of the Day", "Strictly", "the Traitors", "Line of Duty",
         "Question Time", "Gogglebox", "University Challenge", "the snooker", "Eastenders",
         "Taskmaster", "the darts"]

WEATHER = ["raining again", "absolutely freezing", "weirdly sunny", "blowing a gale",
           "grey and miserable", "actually quite nice", "foggy", "hailing sideways"]

THINGS = ["the washing machine", "my laptop", "the boiler", "the car", "my phone",
          "the printer", "the dishwasher", "the wifi", "my bike", "the kettle"]

ACTIVITIES = ["a long walk", "parkrun", "the allotment", "a pub quiz", "a gig", "the match",
              "a car boot sale", "the gym", "a swim", "a bike ride", "the school run"]

TIMES = ["tonight", "this morning", "today", "this weekend", "right now", "this afternoon"]

EMOJI_SUFFIX = ["", "", "", "", "", " 🙄", " 👏", " 😡", " 🤔", " 😂", " 💯", " 🙏", " 😬"]

PREFIXES = ["", "", "", "", "", "", "Honestly, ", "So ", "Well. ", "Ok but ", "Reminder: ",
            "Hot take: ", "Genuinely, ", "Not gonna lie, "]

# personal touches that make organic posts differ from each other as real ones do
OPENERS = [
    "Honestly", "Right,", "Ok so", "Look,", "Not gonna lie,", "Serious question:", "Unpopular opinion:",
    "Can we talk about this?", "Morning all.", "Evening all.", "Ugh.", "Wow.", "Hmm.", "Yep.", "Well,",
    "Listen,", "Real talk:", "Quick one:", "PSA:", "Just saying,", "For what it's worth,", "Again:",
    "Me again.", "Thread incoming.", "Said it before:", "Cards on the table:", "Calling it now:",
    "Friendly reminder:", "Daily reminder:",
]
CLOSERS = [
    "tbh", "imo", "Anyway.", "just saying", "Rant over.", "Thoughts?", "Discuss.", "Fair?",
    "Or is it just me?", "smh", "ffs", "Grim.", "Madness.", "Sigh.", "lol", "x", "Make it make sense.",
    "Am I wrong?", "Bonkers.", "Every single time.", "Sort it out.", "Unreal.", "Wild.", "Classic.",
    "Shocking really.", "Not rocket science.", "We deserve better.", "Happy Friday I guess.",
    "Back to work.", "Night all.", "Cheers.", "Nuff said.", "Change my mind.", "Prove me wrong.",
    "Can't make it up.",
]
REACTIONS = [
    "My mum said the same thing on the phone earlier.", "Can't stop thinking about it.",
    "The bus was late again by the way.", "Someone please explain it to me like I'm five.",
    "I've been saying this for years.", "Off to make a brew.", "The group chat is going wild.",
    "Saw it on the news at lunch.", "My neighbour disagrees, obviously.", "Need a holiday.",
    "Still raining here.", "Kids are off school so chaos.", "Only half joking.", "Genuinely curious.",
    "Happy to be corrected.", "Read the whole thing before you reply.", "Not sure how I feel about it.",
    "This week has been long.", "Work was mental today.", "Heard it on the radio driving in.",
    "Talked about it at the pub last night.", "The comments are something else.",
    "Nobody at work cares but me.", "Ask anyone who lives round here.", "We'll see.",
    "Time will tell.", "Same old story.", "Not holding my breath.", "Bookmarking this.",
    "Sending this to my dad.",
]
NEWS_OPENERS = ["Worth a read:", "Interesting:", "Well this is grim:", "Good piece:", "Read this:",
                "Hmm:", "About time:", "Oh dear:", "Big if true:", "Not surprised:", "This 👇", ""]

GENERAL_HASHTAGS = [
    "PMQs", "Budget2024", "NHS", "CostOfLivingCrisis", "ClimateAction", "GBBO", "Football",
    "bbcqt", "UKPolitics", "Brexit", "GeneralElection", "Rail", "Housing", "Strictly",
    "MOTD", "Teachers", "Energy", "Sewage", "COP28", "LocalElections", "WorldBookDay",
    "Wimbledon", "SixNations", "Springwatch", "Eurovision", "London", "Manchester",
    "Leeds", "MondayMotivation", "FridayFeeling", "ThrowbackThursday", "mentalhealth",
]

NEWS_DOMAINS = [
    ("bbc.co.uk", "https://www.bbc.co.uk/news/uk-politics-{n}"),
    ("theguardian.com", "https://www.theguardian.com/politics/2024/mar/{d}/{slug}"),
    ("reuters.com", "https://www.reuters.com/world/uk/{slug}-2024-03-{d}/"),
    ("ft.com", "https://www.ft.com/content/{hex}"),
    ("independent.co.uk", "https://www.independent.co.uk/news/uk/politics/{slug}-b{n}.html"),
    ("thetimes.co.uk", "https://www.thetimes.co.uk/article/{slug}-{hex}"),
    ("news.sky.com", "https://news.sky.com/story/{slug}-{n}"),
    ("itv.com", "https://www.itv.com/news/2024-03-{d}/{slug}"),
    ("apnews.com", "https://apnews.com/article/{hex}"),
    ("nytimes.com", "https://www.nytimes.com/2024/03/{d}/world/europe/{slug}.html"),
    ("telegraph.co.uk", "https://www.telegraph.co.uk/politics/2024/03/{d}/{slug}/"),
    ("inews.co.uk", "https://inews.co.uk/news/politics/{slug}-{n}"),
    ("youtube.com", "https://www.youtube.com/watch?v={yt}"),
]

HEADLINES = [
    "{place} council approves new housing plan",
    "Minister defends {policy} after backlash",
    "Analysis: what {policy} means for {issue}",
    "{party} set out plans on {issue}",
    "Strikes planned over {issue} in {place}",
    "Inflation eases but {issue} still biting",
    "Watchdog criticises handling of {issue}",
    "MPs to vote on {policy} next week",
    "{place} residents protest over {issue}",
    "Poll: voters split on {policy}",
]

# ---------------------------------------------------------------------------------------------
# organic posts
POLITICS = [
    "{prefix}{policy} {verdict}.",
    "{prefix}{party} still have no answer on {issue}.",
    "Watching the debate on {policy}. {party} {verdict2}.",
    "Can someone explain why {policy} {verdict}? Asking for {place}.",
    "{issue} in {place} is getting worse and nobody in Westminster cares.",
    "Wrote to my MP about {issue}. Got a copy-paste reply about {policy}.",
    "Whatever you think of {party}, {policy} {verdict}.",
    "{party} on {issue}: all talk. {party2} on {issue}: also all talk.",
    "Genuinely think {policy} {verdict}. Change my mind.",
    "Local elections coming up in {place}. {issue} is the only thing people talk about on the doorstep.",
    "Interesting thread on {policy} and {issue}. Worth a read.",
    "Everyone moaning about {party} but {issue} has been bad for years.",
    "{prefix}the row over {policy} is a distraction from {issue}.",
    "Just been door-knocking in {place}. People are tired of {issue}.",
    "If {party} fixed {issue} they'd win by a mile.",
    "The coverage of {policy} has been dire from every side.",
]

EVERYDAY = [
    "{prefix}it's {weather} in {place} {time}.",
    "Nothing beats {food} after {activity}.",
    "{show} {time}, who's watching?",
    "{thing} has broken. Again.{emoji}",
    "Off to {activity} {time}. Wish me luck.",
    "Can't believe {team} did that {time}.{emoji}",
    "Why is {food} so good at 11pm",
    "Dog refused to go on {activity} because it's {weather}.",
    "{show} is the best thing on telly and I won't hear otherwise.",
    "Monday again. {thing} is making a funny noise.",
    "Booked tickets for {team} away. Never learn.",
    "Made {food} for the kids, got three complaints.",
    "The train to {place} is cancelled {time}. Of course it is.",
    "{prefix}{activity} in the {weather2} weather was a mistake.",
    "Anyone else's {thing} playing up {time}?",
    "Small win: {thing} works again.",
]

REPLIES = [
    "Completely agree.", "This is spot on.", "Not sure about that tbh.", "Source?",
    "Ha, exactly what I was thinking.", "Disagree, {policy} {verdict}.",
    "Same here in {place}.", "That's not what the report says.", "Well said.",
    "Have you actually read it?", "This needs to be said more.", "lol no",
    "Fair point, but {issue} matters more.", "Thanks for sharing.", "Brilliant thread.",
    "Can't argue with that.", "We had the same in {place} last year.", "Yikes.",
]

QUOTE_COMMENTS = [
    "Worth reading.", "This.", "Important.", "Hmm, not convinced.", "Good thread on {issue}.",
    "Every word.", "Sums it up.", "Interesting take.", "Well that escalated.", "Oh dear.",
]

INFLUENCER_POSTS = [
    "My column this week: why {policy} {verdict}.",
    "Tonight on the show: {issue} and what {party} plan to do about it.",
    "A thread on {policy}, and why the numbers don't add up. 1/",
    "Spoke to families in {place} about {issue}. Their stories deserve to be heard.",
    "Polling shows voters care about {issue} far more than {policy}.",
    "{party} have a problem with {issue} and they know it.",
    "Big interview tomorrow morning on {policy}. Send me your questions.",
    "The government's line on {issue} doesn't survive contact with the facts.",
    "Lovely to be in {place} today talking about {issue}.",
    "Genuinely baffled by the reaction to {policy}.",
]

TARGET_POSTS = [
    "Proud to stand up for my constituents on {issue}.",
    "Met with local businesses in {place} today to talk about {issue}.",
    "Antisemitism has no place in our politics, and I will keep calling it out.",
    "Thank you to everyone who has sent kind messages this week.",
    "My full statement on {policy} is below.",
    "Surgery this Saturday in {place}. Come and talk to me about {issue}.",
]

# identity statements and neutral posts about Jewish life (must NOT be flagged)
JEWISH_NEUTRAL = [
    "As a Jew, I found {show} last night surprisingly moving.",
    "As a Jewish mum in {place}, {issue} is what keeps me up at night.",
    "As a Jew, I'm tired of being asked to explain the Israeli government.",
    "Lovely {jewish_event} with the family {time}. Chag sameach!",
    "Our synagogue in {place} is running a food bank this weekend, all welcome.",
    "Shabbat shalom everyone. Switching off until tomorrow night.",
    "Taking my kids to the Jewish Museum {time}, they loved it.",
    "Growing up Jewish in {place} in the 90s was a whole thing. Thread.",
    "Grandma's recipe for challah never fails.",
    "As a Jewish {job}, I'm proud of our community's volunteers.",
    "Visited the Holocaust memorial {time} with my class. Never again means something.",
    "The Jewish community centre in {place} is hiring youth workers.",
]

ISRAEL_NEUTRAL = [
    "Israel's coalition talks have stalled again, says the latest report.",
    "Hoping for a ceasefire and for every hostage and civilian to be safe.",
    "I disagree strongly with the Israeli government's settlement policy. Criticising a government is normal politics.",
    "The Knesset vote on judicial reform is being watched closely in Europe.",
    "Palestinian and Israeli peace activists spoke together in {place} {time}.",
    "Netanyahu's government is facing huge protests at home.",
    "Calls for a two-state solution are growing at the UN.",
    "Humanitarian aid needs to reach Gaza now.",
]

COUNTER_SPEECH = [
    "Antisemitism is real and must be called out, whoever it comes from.",
    "Calling antisemitism a 'smear' is how antisemitism gets a free pass.",
    "No, it's not a witch-hunt. Jewish members reported abuse and deserved to be heard.",
    "Antisemitism isn't 'weaponised' just because it's inconvenient for your side.",
    "Conspiracy theories about 'Rothschild bankers' are antisemitic. Full stop.",
    "If you call Jews 'Zionists who control the media' you are repeating an old antisemitic lie.",
    "Stand with Jewish colleagues facing abuse. Antisemitism is not a smear.",
    "Reporting antisemitic tweets today. Please do the same.",
    "Holocaust denial is hate, not 'asking questions'.",
    "Antisemitism is racism. Treat it like racism.",
    "Whoever you vote for, {party} included, antisemitism has to be called out.",
    "Jewish friends in {place} are scared to wear a kippah on the bus. That's not a smear, that's reality.",
    "Saw antisemitic graffiti in {place} {time}. Reported it. This stuff is real.",
    "Criticise any government you like, but blaming 'the Jews' for {issue} is antisemitism.",
    "The 'it's all a smear' crowd never listen to the Jewish members who were actually abused.",
    "Antisemitism on the left, on the right, anywhere: call it out.",
    "Reading the replies to a Jewish MP {time}. The antisemitism is not 'weaponised', it's right there.",
    "Holocaust education matters. Took my kids to the exhibition in {place} {time}.",
]

ISRAEL_CRITICISM = [
    "The Israeli government's bombing of Gaza is indefensible and must stop.",
    "Sanctions on settlements now. International law applies to every state.",
    "You can oppose Netanyahu's policies without blaming Jews for them.",
    "Marching for Palestinian rights in {place} {time}. Peaceful, loud, and proud.",
]

# ---------------------------------------------------------------------------------------------
# the planted narrative (engine room): "antisemitism is a smear / weaponised / a witch-hunt"
NARRATIVE = [
    "The antisemitism 'crisis' is a smear cooked up to destroy the left.",
    "Weaponised antisemitism is being used to silence anyone who criticises Israel.",
    "This is a witch-hunt, plain and simple. Nobody believes the antisemitism smears any more.",
    "Another week, another manufactured antisemitism row. The smear machine never sleeps.",
    "They cry antisemitism every time {party} get close to power. Wake up.",
    "The so-called antisemitism problem was invented by the media to stop real change.",
    "Suspended for 'antisemitism' for sharing a news article. This witch-hunt is a disgrace.",
    "Every accusation of antisemitism is a smear against socialists. Every single one.",
    "Weaponising antisemitism to purge members is the real scandal here.",
    "The antisemitism smear campaign is collapsing. They're running out of lies.",
    "No antisemitism crisis, just a political witch-hunt against good people.",
    "Funny how the 'antisemitism' accusations only ever target the left. Smear.",
    "The smear merchants are at it again over {policy}. Witch-hunt.",
    "Exposed: the antisemitism row was a coordinated smear all along.",
]

AMPLIFIER_COMMENTS = [
    "Exactly this.", "Spot on 👇", "Everyone needs to read this.", "They're terrified of the truth.",
    "Say it louder.", "Couldn't agree more.", "The truth is coming out.", "Share this everywhere.",
    "Told you so.", "Absolutely.", "This is what they don't want you to see.", "💯",
]

# antisemitic content built on coded tropes; labelled hateful in the ground truth
HATEFUL = [
    "Rothschild bankers own both parties and they decide who gets smeared.",
    "The ZioNazis running the media won't let you see the truth about {issue}.",
    "Zionists control the media, that's why every story about {party} is a hit piece.",
    "Their loyalty is to Israel, not to Britain. Dual loyalty should bar them from office.",
    "The so-called Holocaust has been exaggerated to shut down debate for 80 years.",
    "(((They))) own the banks, the press and now our politicians.",
    "ZioNazi lobby strikes again. They own Westminster.",
    "Funny how the same (((families))) always end up running the central banks.",
    "The Zionist media moguls decide what you're allowed to think about {issue}.",
    "Six million? The numbers never add up. Question the official story.",
    "Every war is a bankers' war and we all know which bankers.",
    "The Israel lobby bought this MP. Dual loyalty traitors, all of them.",
    "Globalist Zionist puppet masters pulling the strings of {party} again.",
    "Holocaust 'survivors' keep changing their stories, makes you think.",
    "Soros and the Rothschilds are funding the chaos in {place}. Open your eyes.",
    "Zios control Hollywood, the BBC and half of Parliament.",
]

# hateful and narrative at once (posted by the hateful part of the engine room)
HATEFUL_NARRATIVE = [
    "The antisemitism smear is run by the same Rothschild bankers who own the media.",
    "Weaponised antisemitism is a Zionist tactic. The ZioNazis fear the truth.",
    "The witch-hunt was ordered by the (((lobby))) and their loyal puppets in Westminster.",
    "Antisemitism smears are how Zionists control the media narrative. Witch-hunt!",
    "It's not antisemitism, it's the Israel lobby protecting dual-loyalty MPs. Smear.",
    "Who funds the smear campaign? Follow the money to the (((globalists))).",
    "Rothschild money is behind every 'antisemitism' complaint. Look it up.",
]

# ---------------------------------------------------------------------------------------------
# hashtag campaign against a fictional politician (the target); {target_name}, {surname} given
CAMPAIGN = [
    "{target_name} must resign. Now.",
    "Sack {surname} before she does any more damage.",
    "{surname} is a disgrace to Parliament. Get her out.",
    "Expose {surname} and her donors. Resign!",
    "Enough of {surname}'s lies. Deselect her.",
    "{target_name} should be thrown out of the party tonight.",
    "Hound {surname} out of office. She's finished.",
    "Shame on {surname}. Time to go.",
    "Write to your MP: {target_name} has to be sacked.",
    "{surname} is a liar and a traitor to members.",
]

# campaign posts that also push the narrative (labelled narrative in the ground truth)
CAMPAIGN_NARRATIVE = [
    "{target_name} smears members as antisemites to cover her own failures. Sack her.",
    "Nobody voted for {surname}'s witch-hunt. Remove her.",
    "{surname} weaponises antisemitism against her own party. Out!",
]

# hashtag burst: ordinary people reacting to an event; {place} is the flooded town
BURST = [
    "Thoughts with everyone in {burst_place} tonight.",
    "Roads closed all round {burst_place}, stay safe everyone.",
    "Donated to the flood appeal for {burst_place}. Please share.",
    "Unbelievable pictures from {burst_place}. The water is still rising.",
    "Volunteers needed in {burst_place} tomorrow, bring wellies and bin bags.",
    "Why were the flood defences in {burst_place} never finished?",
    "My cousin in {burst_place} has lost everything. Heartbreaking.",
    "The council in {burst_place} has opened the leisure centre as a shelter.",
    "Drone footage of {burst_place} is shocking.",
    "Emergency services in {burst_place} are heroes.",
]

# ---------------------------------------------------------------------------------------------
# the operation: fake-news headlines, sent in identical copies within seconds
OP_HEADLINES = [
    "BREAKING: leaked files show {elite} paid to rig {policy}",
    "EXPOSED: {elite} caught hiding the truth about {issue}",
    "What the BBC won't tell you about {policy}",
    "SHOCK report: {issue} was planned by {elite}",
    "They lied about {issue}. Here is the proof",
    "Insiders confirm {elite} behind the collapse of {policy}",
    "The real reason {party} want {policy} will shock you",
    "Whistleblower: {elite} ordered the cover-up on {issue}",
]

OP_ELITES = ["Westminster insiders", "Brussels bureaucrats", "NATO generals", "globalist elites",
             "big pharma", "the security services", "Davos billionaires", "MI6"]

OP_BIO_TEMPLATES = [
    "Patriot | Truth seeker | {interest} lover | Proud {nation}",
    "Truth seeker. {nation} first. Free speech matters. {interest}",
    "{nation} patriot | Mother of {n} | Love {interest} | NO DMs",
    "Free thinker | {interest} | {nation} | Question everything",
    "Proud {nation} | {interest} | God bless | Truth will win",
]

OP_NATIONS = ["British", "American", "Brit", "Englishman", "Scot"]

OP_MENTION_TEXTS = [
    "why won't you report this? The truth is out there:",
    "you have the platform, tell people what is really happening:",
    "read this before your next show, the public deserves to know:",
]

CLIENTS_ORGANIC = ["Twitter for iPhone", "Twitter for Android", "Twitter Web App",
                   "Twitter for iPad", "TweetDeck Web App"]
CLIENT_OPERATION = "Twitter Web App"

JEWISH_EVENTS = ["Shabbat dinner", "Hanukkah", "Passover seder", "my nephew's bar mitzvah",
                 "Purim party", "Rosh Hashanah lunch", "my niece's bat mitzvah"]

#: word lists by slot name (slots that appear in templates)
SLOTS: dict[str, list[str]] = {
    "party": PARTIES,
    "party2": PARTIES,
    "party_member": PARTY_MEMBERS,
    "policy": POLICIES,
    "issue": ISSUES,
    "verdict": POL_VERDICTS,
    "verdict2": POL_VERDICTS,
    "place": PLACES,
    "food": FOODS,
    "show": SHOWS,
    "weather": WEATHER,
    "weather2": WEATHER,
    "thing": THINGS,
    "activity": ACTIVITIES,
    "time": TIMES,
    "team": [t.replace("-", " ") for t in TEAMS],
    "emoji": EMOJI_SUFFIX,
    "prefix": PREFIXES,
    "job": [j.replace("-", " ") for j in JOBS],
    "interest": [i.replace("-", " ") for i in INTERESTS],
    "interest2": [i.replace("-", " ") for i in INTERESTS],
    "jewish_event": JEWISH_EVENTS,
    "elite": OP_ELITES,
    "nation": OP_NATIONS,
    "n": ["two", "three", "four"],
    "year": ["1979", "1983", "1997", "2001", "2015", "2016", "2019"],
}

#: slots filled from the planted scenario, not from word lists
CONTEXT_SLOTS = ("target_name", "surname", "burst_place")
