"""Signals of operation-likeness, one number per account and signal.

Every function of this package takes pandas frames with the corpus's column names (``accounts`` and
``posts`` of :mod:`engineroom.schema`) and returns one value per account, so that the analysis
(:mod:`engineroom.analyses.accounts`), the training code and the evaluation all compute signals
the same way. What each signal means to an analyst:

Handle and name
    ``handle_entropy`` (Shannon entropy of the handle's characters, bits per character; random
    strings score high), ``handle_digits`` / ``handle_max_digit_run`` (digits, longest run of
    digits), ``handle_name8`` (the platform's default pattern *name followed by 8 digits*, as in
    ``Jane12345678``), ``handle_ngram_loglik`` (mean log2-probability per character under a
    character-trigram model of real people's handles; very negative = unlike real handles),
    ``name_handle_similarity`` (0-1 similarity of the display name and the handle; low values are
    a mismatch, as in a persona named "Jenna Abrams" with handle ``xk83hs``).
Profile
    counts (log scale), follower/following ratio, account age and posting rate at the time the
    profile was seen, bio length, bio links/hashtags, default profile flags.
Corpus-level
    ``bio_template_count`` (other accounts whose bio is a near duplicate: MinHash LSH over
    character 4-grams, Jaccard >= 0.8), ``creation_burst`` (accounts created within +-1 day of
    this one, relative to what an even spread over the corpus's creation dates would give).
Behaviour
    shares of the account's posts that are replies, retweets, quotes, carry links, hashtags or
    mentions, are link-only, come from automation clients; posting-hour profile (circular mean,
    concentration) and the UTC offset it implies vs the offset of the claimed location;
    identical posts sent at the same target account; engagement per post.

The signals are grouped by what they look at, one module each: :mod:`.handles` (handle and name),
:mod:`.profile` (profile fields), :mod:`.lookalikes` (the account against the corpus's other
accounts), :mod:`.timezones` (claimed location and posting hours), :mod:`.behaviour` (the
account's posts). Every name below can be imported from here.
"""

from __future__ import annotations

from .behaviour import (AUTOMATION_CLIENTS, BEHAVIOUR_FEATURES, automation_flags, behaviour_features,
                        is_automation_client, news_persona, news_personas, post_style,
                        post_style_columns)
from .handles import HANDLE_FEATURES, HandleLM, char_entropy, handle_features, name_handle_similarity
from .lookalikes import LSH_BANDS, LSH_ROWS, bio_template_counts, creation_burst
from .profile import PROFILE_FEATURES, profile_features
from .timezones import (LOCAL_ACTIVITY_CENTRE, claimed_utc_offset, claimed_utc_offsets, hour_profile,
                        implied_utc_offset, implied_utc_offsets, offset_distance, offset_distances)

__all__ = [
    "AUTOMATION_CLIENTS", "BEHAVIOUR_FEATURES", "HANDLE_FEATURES", "LOCAL_ACTIVITY_CENTRE", "LSH_BANDS", "LSH_ROWS",
    "PROFILE_FEATURES", "HandleLM", "automation_flags", "behaviour_features", "bio_template_counts", "char_entropy",
    "claimed_utc_offset", "claimed_utc_offsets", "creation_burst", "handle_features", "hour_profile",
    "implied_utc_offset", "implied_utc_offsets", "is_automation_client", "name_handle_similarity", "news_persona",
    "news_personas", "offset_distance", "offset_distances", "post_style", "post_style_columns", "profile_features",
]
