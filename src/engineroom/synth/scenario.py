"""What the synthetic world plants, by name: the constants every part of :mod:`engineroom.synth` shares.

The fictional names of the planted structures (the narrative and its hashtags, the campaign's target
MP and hashtag, the burst's hashtag and place, the operation's fake-news domain and influencer), the
size of the engine room, the post kinds and the flag bits that mark what a post belongs to (hateful,
narrative, campaign, operation, burst, counter-speech, identity), and the streams — each a kind of
post with its share of all posts, its minimum count and its hourly profile — that the generator
schedules. Change a name here and the posts, the export files and the truth files all follow.
"""

from __future__ import annotations

#: Twitter's snowflake epoch (ms)
TWEPOCH_MS = 1288834974657

# post kinds
POST, RETWEET, QUOTE, REPLY = 0, 1, 2, 3
KIND_NAMES = ("post", "retweet", "quote", "reply")
_REF_TYPE = {RETWEET: "retweeted", QUOTE: "quoted", REPLY: "replied_to"}

# flags (bits)
HATE, NARR, CAMP, OPER, BURST, COUNTER, IDENTITY = 1, 2, 4, 8, 16, 32, 64
#: flags a retweet inherits from the post it retweets (its text contains that post's text)
INHERITED = HATE | NARR | CAMP | BURST | COUNTER | IDENTITY

# planted names (all fictional)
NARRATIVE_NAME = "antisemitism_smear"
NARRATIVE_TAGS = ["AntisemitismSmear", "WitchHunt", "WeaponisedAntisemitism", "SmearCampaign"]
TARGET_NAME = "Judith Marlowe"
TARGET_SURNAME = "Marlowe"
TARGET_HANDLE = "JudithMarloweMP"
CAMPAIGN_TAG = "SackMarlowe"
BURST_TAG = "FloodReliefNow"
BURST_PLACE = "Ashbridge"
FAKE_DOMAIN = "truthwire-daily.net"
OP_INFLUENCER = ("GeorgeHalden", "George Halden")
INFLUENCERS = [
    OP_INFLUENCER,
    ("AnnaPrestonNews", "Anna Preston"),
    ("TheMarkColeShow", "Mark Cole"),
    ("RuthBaileyFT", "Ruth Bailey"),
    ("SamirDasPolitics", "Samir Das"),
    ("ClaireOkafor", "Claire Okafor"),
    ("TomWhitbyTV", "Tom Whitby"),
    ("PollsterJen", "Jen Harrow"),
    ("DrKateMorrow", "Dr Kate Morrow"),
    ("LeftFootForward_", "Left Foot Fwd"),
    ("BenCartwrightMP", "Ben Cartwright"),
    ("NorthernVoiceUK", "Northern Voice"),
]
N_ENGINE_ROOM = 36
N_ENGINE_ROOM_HATEFUL = 12

STREAMS: list[tuple[str, float, int, str]] = [
    # name, share of all posts, minimum, hourly profile
    ("org_post", 0.0, 0, "diurnal"),          # organic streams share what the special ones leave
    ("org_rt", 0.0, 0, "diurnal"),
    ("org_reply", 0.0, 0, "diurnal"),
    ("org_quote", 0.0, 0, "diurnal"),
    ("infl_post", 0.010, 60, "diurnal"),
    ("target_post", 0.0002, 6, "diurnal"),
    ("er_narr", 0.008, 150, "diurnal"),
    ("er_hate", 0.0015, 40, "diurnal"),
    ("amp_rt", 0.025, 400, "diurnal"),
    ("amp_quote", 0.003, 60, "diurnal"),
    ("amp_narr", 0.0015, 40, "diurnal"),
    ("amp_hate", 0.0008, 15, "diurnal"),
    ("counter_reply", 0.002, 30, "diurnal"),
    ("bg_hate", 0.002, 20, "diurnal"),
    ("camp_post", 0.004, 80, "campaign"),
    ("camp_rt", 0.002, 40, "campaign"),
    ("burst_post", 0.004, 60, "burst"),
    ("burst_rt", 0.002, 30, "burst"),
    ("op_copy", 0.004, 100, "office"),
    ("op_mention", 0.001, 30, "office"),
    ("op_link", 0.003, 50, "office"),
    ("op_rt", 0.002, 40, "office"),
]
STREAM_NAMES = [s[0] for s in STREAMS]
#: streams made of events: (fewest, most accounts, seconds from the first post to the last)
EVENT_STREAMS = {"op_copy": (6, 16, 20.0), "op_rt": (3, 8, 90.0)}
SID = {name: i for i, name in enumerate(STREAM_NAMES)}
ORGANIC_SHARES = {"org_post": 0.49, "org_rt": 0.35, "org_reply": 0.14, "org_quote": 0.02}
