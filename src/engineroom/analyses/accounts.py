"""Analysis ``accounts``: how much each account looks like part of an influence operation.

Method: the signals that Twitter's information-operations releases (2018-2019), Linvill & Warren
(*Troll Factories*, 2020) and bot research (Cresci et al. 2017; Yang et al., *BotometerLite*,
AAAI 2020) describe — random-string handles, default-pattern handles, name/handle mismatch,
templated bios, creation-date bursts, off-hours posting vs the claimed location, automation
clients, the same post sent at one account again and again, near-zero engagement, link-only
"news" personas, links to low-credibility domains, retweet-only timelines, skewed
follower/following ratios — each computed per account and kept as a column with its value
(see :mod:`engineroom.accountscore.signals` for exact definitions).

``operation_score`` (0-1) combines them with the models shipped in the package
(:mod:`engineroom.accountscore.model`): the profile model (trained on cresci-2017 profiles)
scores accounts whose profile has a creation date and a post count; the behaviour model (trained
on IRA vs organic posts, at most three posts per account) scores accounts with posts; the transparent rule set
(:data:`engineroom.accountscore.model.RULES`) scores every account. ``operation_score`` is half
the rule score plus half the mean of the model probabilities that apply (the rule score alone
where no model applies; :func:`combine_scores`). Neither model decides alone, and together they
do not outvote the rules: the behaviour model's organic training class is mostly replies in
breaking-news threads, so on its own it over-flags ordinary accounts that post hashtags and links
rather than replies; the profile model knows commercial spambots, not state-backed personas.
``score_source``
says which applied; ``top_signals`` (JSON) lists the model probabilities and the rules met, with
values and reasons.

Findings table ``account_scores``: platform, account_id, handle, one column per signal,
``profile_score``, ``behaviour_score``, ``rule_score``, ``operation_score``, ``flagged`` (score >=
``threshold``; ``operation_label`` is the same flag under its older name), ``score_source``,
``top_signals``. Helper table
``account_post_style`` (per-post style indicators) is written on the way.

Parameters (defaults): ``threshold=None``: the calibrated threshold of the shipped models'
card (``model_card.json`` ``flag.threshold``), chosen by ``engineroom train accounts`` on IRA-vs-organic
accounts that the behaviour model never saw, for precision >= 0.95 in a corpus where 1 % of
accounts are operation accounts (``flag.prior``); the card holds its precision and recall on
other held-out accounts (0.6 where a models folder has no calibration). Read the ranking, not
only the flag: the calibration corpus is one operation against replies in news threads, and on
ordinary accounts of other corpora the flag still marks about a third (docs/accounts.md); ``method="auto"`` (``"rules"`` uses only the rule set);
``max_posts_per_account=None`` (score on at most this many posts per account, chosen by a stable
hash of the post id — for evaluation without volume); ``min_posts_for_hours=10`` (posting-hour
profile and implied time zone only from this many posts); ``low_credibility=0.4`` (Lin et al.
pc1 below this is low credibility, used only when the ``domains`` table is absent);
``models_dir=None`` (the models shipped in the package; a folder written by
``engineroom train accounts --out DIR`` to use others).
"""

from __future__ import annotations

import json
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from . import Analysis, findings_table
from ..accountscore import signals as S
from ..accountscore.model import RULES, load_models, rule_hits, rule_score
from ..progress import progress

_STYLE_SCHEMA = pa.schema([
    ("platform", pa.string()), ("post_id", pa.string()), ("account_id", pa.string()),
    ("retweet", pa.float64()), ("reply", pa.float64()), ("quote", pa.float64()), ("url", pa.float64()),
    ("hashtag", pa.float64()), ("hashtags", pa.float64()), ("mentions", pa.float64()), ("len", pa.float64()),
    ("upper", pa.float64()), ("linkonly", pa.float64()), ("exclaim", pa.float64()), ("question", pa.float64()),
    ("hour", pa.float64()), ("automation", pa.float64()),
])


#: the ``accounts`` columns the signals read (the rest of a profile is never fetched into Python)
PROFILE_COLUMNS = (
    "platform", "account_id", "handle", "display_name", "bio", "location", "url", "created_at",
    "followers", "following", "posts_count", "likes_count", "listed_count",
    "verified", "protected", "default_profile", "default_profile_image",
)

#: flag threshold where a models folder has no calibrated one
DEFAULT_THRESHOLD = 0.6


def _style_batch(df: pd.DataFrame) -> pa.Table:
    """One batch of ``account_post_style``: the posts' keys as they came (Arrow strings, no Python
    string object per post) and their style columns, as an Arrow table of :data:`_STYLE_SCHEMA`."""
    cols = S.post_style_columns(df)
    cols["automation"] = S.automation_flags(df["client"])
    arrays = [pa.array(df[c].astype(str), pa.string(), from_pandas=True) for c in ("platform", "post_id", "account_id")]
    # from_pandas: NaN is written as NULL, as from a pandas frame
    arrays += [pa.array(cols[f.name], pa.float64(), from_pandas=True) for f in list(_STYLE_SCHEMA)[3:]]
    return pa.Table.from_arrays(arrays, schema=_STYLE_SCHEMA)


def combine_scores(p_prof: np.ndarray, p_beh: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """``operation_score``: half the rule score plus half the mean of the model probabilities that
    apply (NaN = the model cannot score the account); the rule score alone where neither applies.

    With one model this is the mean of that model and the rules. With both, the two models share
    their half rather than outvoting the rules two to one: each was trained on another population
    (commercial spambots; IRA trolls against breaking-news repliers) and over-flags ordinary
    accounts that resemble its positive class more than its negative one."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        models = np.nanmean(np.vstack([p_prof, p_beh]), axis=0) if len(rules) else np.zeros(0)
    return np.where(np.isnan(models), rules, 0.5 * rules + 0.5 * models)


class Accounts(Analysis):
    """Operation-likeness per account (signals, shipped models, rule set); see the module doc."""

    name = "accounts"
    version = "1"
    requires = ("domains",)
    reads = ("posts", "accounts", "interactions", "hashtags", "urls", "domains")
    writes = (
        findings_table(
            "account_scores", "One row per account: its signals and operation score (see accountscore.signals for exact definitions).",
            ("platform", "VARCHAR", "the account's platform"),
            ("account_id", "VARCHAR", "the account"),
            ("handle", "VARCHAR", "its handle (from its posts when the profile has none)"),
            ("handle_len", "DOUBLE", "characters in the handle"),
            ("handle_entropy", "DOUBLE", "Shannon entropy of the handle's characters"),
            ("handle_digits", "DOUBLE", "digits in the handle"),
            ("handle_max_digit_run", "DOUBLE", "longest run of digits in the handle"),
            ("handle_upper_share", "DOUBLE", "share of upper-case letters in the handle"),
            ("handle_underscores", "DOUBLE", "underscores in the handle"),
            ("handle_name8", "DOUBLE", "1 when the handle is a name followed by 8 digits (a platform default pattern)"),
            ("handle_ngram_loglik", "DOUBLE", "mean character n-gram log-likelihood of the handle (low = random string)"),
            ("name_len", "DOUBLE", "characters in the display name"),
            ("name_words", "DOUBLE", "words in the display name"),
            ("name_digits", "DOUBLE", "digits in the display name"),
            ("name_handle_similarity", "DOUBLE", "fuzzy similarity of display name and handle, 0-1"),
            ("bio_len", "DOUBLE", "characters in the bio"),
            ("bio_urls", "DOUBLE", "links in the bio"),
            ("bio_hashtags", "DOUBLE", "hashtags in the bio"),
            ("bio_mentions", "DOUBLE", "mentions in the bio"),
            ("has_url", "DOUBLE", "1 when the profile has a link"),
            ("has_location", "DOUBLE", "1 when the profile states a location"),
            ("log_followers", "DOUBLE", "log(1 + followers)"),
            ("log_following", "DOUBLE", "log(1 + accounts followed)"),
            ("log_posts", "DOUBLE", "log(1 + the profile's post count)"),
            ("log_likes", "DOUBLE", "log(1 + likes given)"),
            ("log_listed", "DOUBLE", "log(1 + lists the account is on)"),
            ("follow_ratio", "DOUBLE", "log_followers - log_following"),
            ("age_days", "DOUBLE", "account age in days when observed"),
            ("posts_per_day", "DOUBLE", "profile posts per day of age"),
            ("likes_per_day", "DOUBLE", "likes per day of age"),
            ("followers_per_day", "DOUBLE", "followers per day of age"),
            ("default_profile", "DOUBLE", "1 when the profile is the platform default"),
            ("default_profile_image", "DOUBLE", "1 when the avatar is the platform default"),
            ("verified", "DOUBLE", "1 when verified"),
            ("protected", "DOUBLE", "1 when protected"),
            ("bio_template_count", "DOUBLE", "other accounts of the platform with a near-duplicate (templated) bio"),
            ("creation_burst", "DOUBLE", "accounts created within a day of this one relative to an even spread (1 = normal)"),
            ("likes_posts", "DOUBLE", "log_likes - log_posts (likes given relative to posts)"),
            ("listed_followers", "DOUBLE", "log_listed - log_followers (lists relative to followers)"),
            ("name_title_words", "DOUBLE", "share of display-name words that start upper case"),
            ("reply_share", "DOUBLE", "share of its posts that are replies"),
            ("retweet_share", "DOUBLE", "share of its posts that are retweets"),
            ("quote_share", "DOUBLE", "share of its posts that are quotes"),
            ("url_share", "DOUBLE", "share of its posts with a link"),
            ("hashtag_share", "DOUBLE", "share of its posts with a hashtag"),
            ("hashtags_per_post", "DOUBLE", "hashtags per post"),
            ("mentions_per_post", "DOUBLE", "mentions per post"),
            ("text_len", "DOUBLE", "mean characters per post"),
            ("upper_share", "DOUBLE", "mean share of upper-case letters"),
            ("linkonly_share", "DOUBLE", "share of its posts that are a link and little else"),
            ("exclaim_share", "DOUBLE", "share of its posts with '!'"),
            ("question_share", "DOUBLE", "share of its posts with '?'"),
            ("hour_sin", "DOUBLE", "mean sine of the posting hour (UTC) on the 24-hour circle"),
            ("hour_cos", "DOUBLE", "mean cosine of the posting hour (UTC) on the 24-hour circle"),
            ("n_posts", "DOUBLE", "its posts in the corpus"),
            ("automation_share", "DOUBLE", "share of its posts sent from automation clients"),
            ("engagement_per_post", "DOUBLE", "likes, retweets, replies and quotes received per post"),
            ("repeat_at_target_max", "DOUBLE", "most posts with the same text sent at one account"),
            ("low_cred_link_share", "DOUBLE", "share of its links to low-credibility domains"),
            ("mean_post_hour_utc", "DOUBLE", "mean posting hour, UTC (NULL below min_posts_for_hours posts)"),
            ("hour_concentration", "DOUBLE", "how concentrated its posting hours are, 0-1 (NULL below min_posts_for_hours posts)"),
            ("implied_utc_offset", "DOUBLE", "UTC offset at which its posting hours would be a local working day"),
            ("claimed_utc_offset", "DOUBLE", "UTC offset of the location it states"),
            ("tz_mismatch_hours", "DOUBLE", "hours between implied and claimed UTC offsets"),
            ("news_persona", "DOUBLE", "1 when handle or name poses as a news outlet"),
            ("news_persona_linkonly", "DOUBLE", "1 for a news persona posting mostly bare links"),
            ("profile_score", "DOUBLE", "profile model probability (NULL when it cannot score the account)"),
            ("behaviour_score", "DOUBLE", "behaviour model probability (NULL when it cannot score the account)"),
            ("rule_score", "DOUBLE", "rule-set score, 0-1"),
            ("operation_score", "DOUBLE", "0-1: half the rule score plus half the mean of the model probabilities that apply"),
            ("flagged", "BOOLEAN", "operation_score >= threshold (by default the threshold calibrated on held-out accounts, from the model card)"),
            ("operation_label", "BOOLEAN", "the same as flagged (kept for older readers)"),
            ("score_source", "VARCHAR", "which scored it: profile_model+, behaviour_model+, rules"),
            ("top_signals", "VARCHAR", "JSON: model probabilities and the rules met, with values and reasons"),
        ),
        findings_table(
            "account_post_style", "Intermediate: one row per post, its style indicators (0/1 or counts).",
            ("platform", "VARCHAR", "the post's platform"),
            ("post_id", "VARCHAR", "the post"),
            ("account_id", "VARCHAR", "its author"),
            ("retweet", "DOUBLE", "1 for a retweet"),
            ("reply", "DOUBLE", "1 for a reply"),
            ("quote", "DOUBLE", "1 for a quote"),
            ("url", "DOUBLE", "1 when it has a link"),
            ("hashtag", "DOUBLE", "1 when it has a hashtag"),
            ("hashtags", "DOUBLE", "hashtags in it"),
            ("mentions", "DOUBLE", "mentions in it"),
            ("len", "DOUBLE", "characters"),
            ("upper", "DOUBLE", "share of upper-case letters"),
            ("linkonly", "DOUBLE", "1 when it is a link and little else"),
            ("exclaim", "DOUBLE", "1 when it has '!'"),
            ("question", "DOUBLE", "1 when it has '?'"),
            ("hour", "DOUBLE", "posting hour, UTC"),
            ("automation", "DOUBLE", "1 when sent from an automation client"),
        ),
    )

    def __init__(self, threshold: float | None = None, method: str = "auto", max_posts_per_account: int | None = None,
                 min_posts_for_hours: int = 10, low_credibility: float = 0.4, models_dir: str | None = None) -> None:
        if method not in ("auto", "rules"):
            raise ValueError("method must be 'auto' or 'rules'")
        self.threshold = threshold
        self.method = method
        self.max_posts_per_account = max_posts_per_account
        self.min_posts_for_hours = min_posts_for_hours
        self.low_credibility = low_credibility
        self.models_dir = models_dir

    # -- set work in the engine ------------------------------------------------------------------
    def _posts(self, engine) -> ibis.Table:
        p = engine.table("posts").filter(lambda t: t.account_id.notnull())
        if self.max_posts_per_account:
            rank = ibis.row_number().over(group_by=[p.platform, p.account_id], order_by=[p.post_id.hash(), p.post_id])
            p = p.mutate(_rank=rank).filter(lambda t: t._rank < self.max_posts_per_account).drop("_rank")
        return p

    def _post_aggregates(self, engine) -> pd.DataFrame:
        """Per account, the shares and means of its post styles (``account_post_style``)."""
        st = engine.table("account_post_style")
        ang = st.hour / 24.0 * (2 * np.pi)
        agg = st.group_by(["platform", "account_id"]).aggregate(
            n_posts=st.post_id.count(),
            retweet_share=st.retweet.mean(), reply_share=st.reply.mean(), quote_share=st.quote.mean(),
            url_share=st.url.mean(), hashtag_share=st.hashtag.mean(), hashtags_per_post=st.hashtags.mean(),
            mentions_per_post=st.mentions.mean(), text_len=st.len.mean(), upper_share=st.upper.mean(),
            linkonly_share=st.linkonly.mean(), exclaim_share=st.exclaim.mean(), question_share=st.question.mean(),
            hour_sin=ang.sin().mean(), hour_cos=ang.cos().mean(), automation_share=st.automation.mean(),
        )
        return engine.to_pandas(agg)

    def _post_summary(self, engine, posts: ibis.Table) -> pd.DataFrame:
        """Per account with posts, in one scan of them: ``post_handle`` (its handle on its posts),
        ``last_seen_at`` (its last post), ``last_post_at`` and ``engagement_per_post`` (over its
        posts that are no retweets; NULL where it has none)."""
        own = posts.kind.isnull() | (posts.kind != "retweet")
        total = (posts.like_count.fill_null(0) + posts.retweet_count.fill_null(0) + posts.reply_count.fill_null(0)
                 + posts.quote_count.fill_null(0))
        known = posts.like_count.notnull() | posts.retweet_count.notnull() | posts.reply_count.notnull()
        eng = ibis.ifelse(known, total, ibis.null("float64"))
        g = posts.group_by(["platform", "account_id"]).aggregate(
            post_handle=posts.handle.max(), last_seen_at=posts.created_at.max(),
            last_post_at=posts.created_at.max(where=own), engagement_per_post=eng.mean(where=own))
        return engine.to_pandas(g)

    def _post_signals(self, engine, posts: ibis.Table) -> pd.DataFrame:
        """The signals of each account's posts that the engine computes: style shares
        (:meth:`_post_aggregates`), ``repeat_at_target_max`` and ``low_cred_link_share``; one row
        per account with posts."""
        out = self._post_aggregates(engine)
        out = out.merge(self._repeat_at_target(engine, posts), on=["platform", "account_id"], how="left")
        return out.merge(self._low_cred(engine, posts), on=["platform", "account_id"], how="left")

    def _profile_signals(self, df: pd.DataFrame, models) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
        """What each account's profile and handle alone give, in Python and NumPy (no engine):
        the profile model's features (``prof``); the signals on their scale (``sig``: ``prof`` with
        the signal model's handle score, the bio template count and the creation burst); and
        ``claimed_utc_offset``, ``news_persona`` and ``lm_behaviour``, the behaviour model's handle
        score (None when that model does not run), as the keys of the dict."""
        # per platform: corpus-level signals compare accounts of one platform
        observed = pd.to_datetime(df["last_post_at"]).fillna(pd.to_datetime(df["last_seen_at"]))
        if observed.notna().any():
            observed = observed.fillna(observed.max())
        parts = []
        for _plat, idx in df.groupby("platform").groups.items():
            sub = df.loc[idx]
            parts.append(S.profile_features(sub, models.lm_profile, observed_at=observed.loc[idx]))
        prof = pd.concat(parts).reindex(df.index)
        sig = prof.copy()
        sig["handle_ngram_loglik"] = models.lm_signal.score_many(df["handle"])
        sig["bio_template_count"] = np.round(np.expm1(prof["bio_template_count"]))
        sig["creation_burst"] = np.expm1(prof["creation_burst"])
        extra = {
            "claimed_utc_offset": S.claimed_utc_offsets(df.get("location", pd.Series(index=df.index, dtype=object))),
            "news_persona": S.news_personas(df["handle"], df.get("display_name", pd.Series(index=df.index, dtype=object))),
            "lm_behaviour": models.lm_behaviour.score_many(df["handle"])
            if self.method == "auto" and models.behaviour is not None else None,
        }
        return prof, sig, extra

    def _repeat_at_target(self, engine, posts: ibis.Table) -> pd.DataFrame:
        """Most times one account sent the same text (links/mentions removed) at one target."""
        if not engine.has_table("interactions"):
            return pd.DataFrame(columns=["platform", "account_id", "repeat_at_target_max"])
        it = engine.table("interactions").filter(lambda t: t.kind.isin(["reply", "mention"]))
        it = it.select("platform", "post_id", "target_key")
        p = posts.select("platform", "post_id", "account_id", "text")
        # join first, so that only posts aimed at someone have their text normalised
        j = it.join(p, [it.platform == p.platform, it.post_id == p.post_id]).select(
            it.platform, it.post_id, it.target_key, p.account_id, p.text)
        norm = j.text.lower().re_replace(r"https?://\S+", "").re_replace(r"@\w+", "").re_replace(r"\s+", " ").strip()
        j = j.mutate(norm=norm)
        # texts shorter than 5 characters do not count; a conditional count rather than a filter,
        # which the optimiser would push below the join (normalising every post of the corpus)
        g = j.group_by([j.platform, j.account_id, j.target_key, j.norm]).aggregate(
            n=j.post_id.nunique(where=j.norm.length() >= 5))
        n = ibis.ifelse(g.n > 0, g.n, ibis.null("int64"))
        m = g.group_by(["platform", "account_id"]).aggregate(repeat_at_target_max=n.max())
        return engine.to_pandas(m)

    def _low_cred(self, engine, posts: ibis.Table) -> pd.DataFrame:
        """Share of an account's links that go to low-credibility domains."""
        if not engine.has_table("urls"):
            return pd.DataFrame(columns=["platform", "account_id", "low_cred_link_share", "links"])
        u = engine.table("urls")
        p = posts.select("platform", "post_id", "account_id")
        j = u.join(p, [u.platform == p.platform, u.post_id == p.post_id]).select("platform", "account_id", "domain")
        if engine.has_table("domains"):
            d = engine.table("domains").select("platform", "domain", "low_credibility").distinct()
            j = j.left_join(d, [j.platform == d.platform, j.domain == d.domain]).select(
                j.platform, j.account_id, low=d.low_credibility.fill_null(False).cast("float64"))
        else:
            from ..accountscore.domains import load_ratings

            r = load_ratings()
            low = r.loc[r["pc1"] < self.low_credibility, "domain"].tolist()
            j = j.select("platform", "account_id", low=j.domain.isin(low).fill_null(False).cast("float64"))
        g = j.group_by(["platform", "account_id"]).aggregate(low_cred_link_share=j.low.mean(), links=j.low.count())
        return engine.to_pandas(g)

    def _profiles(self, engine) -> pd.DataFrame:
        """The ``accounts`` table's profile columns that the signals read (:data:`PROFILE_COLUMNS`);
        ``extra``, ``lang``, ``profile_image_url`` and ``ingest_id`` stay in the engine."""
        t = engine.table("accounts")
        return engine.to_pandas(t.select(*[c for c in PROFILE_COLUMNS if c in t.columns]))

    # -- run -----------------------------------------------------------------------------------------
    def run(self, engine) -> dict[str, Any]:
        models = load_models(self.models_dir)
        posts = self._posts(engine)
        with progress("accounts: post styles", None) as bar:
            engine.map_batches(
                "account_post_style",
                posts.select("platform", "post_id", "account_id", "text", "kind", "created_at", "client"),
                _style_batch, _STYLE_SCHEMA,
            )
            bar.advance(1)
        summary = self._post_summary(engine, posts)
        acc = self._profiles(engine)
        keys = pd.concat([acc[["platform", "account_id"]], summary[["platform", "account_id"]]]).drop_duplicates()
        df = keys.merge(acc, on=["platform", "account_id"], how="left")
        df = df.merge(summary, on=["platform", "account_id"], how="left")
        df["handle"] = df["handle"].where(df["handle"].notna() & (df["handle"].astype(str) != ""), df["post_handle"])
        df = df.reset_index(drop=True)
        del acc, keys, summary  # merged into df
        if df.empty:
            engine.write("account_scores", self._empty())
            return {"accounts": 0, "flagged": 0}

        # the engine aggregates the posts (in its own threads, without the GIL) while this thread
        # computes the profile signals in Python: the two share no input
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(self._post_signals, engine, posts)
            prof, sig, extra = self._profile_signals(df, models)
            post_sig = pending.result()
        df = df.merge(post_sig, on=["platform", "account_id"], how="left")
        del post_sig
        beh_cols = [c for c in S.BEHAVIOUR_FEATURES if c in df.columns]
        for c in beh_cols + ["n_posts", "automation_share", "engagement_per_post", "repeat_at_target_max",
                             "low_cred_link_share"]:
            sig[c] = pd.to_numeric(df[c], errors="coerce")
        # posting hours, implied vs claimed time zone
        mean_hour = (np.degrees(np.arctan2(sig["hour_sin"], sig["hour_cos"])) / 15.0) % 24.0
        enough = sig["n_posts"].fillna(0) >= self.min_posts_for_hours
        sig["mean_post_hour_utc"] = mean_hour.where(enough)
        sig["hour_concentration"] = np.hypot(sig["hour_sin"], sig["hour_cos"]).where(enough)
        sig["implied_utc_offset"] = S.implied_utc_offsets(sig["mean_post_hour_utc"].to_numpy(dtype=float))
        sig["claimed_utc_offset"] = extra["claimed_utc_offset"]
        sig["tz_mismatch_hours"] = S.offset_distances(sig["implied_utc_offset"].to_numpy(dtype=float),
                                                      sig["claimed_utc_offset"].to_numpy(dtype=float))
        persona = extra["news_persona"]
        sig["news_persona"] = persona
        sig["news_persona_linkonly"] = ((persona > 0) & (sig["linkonly_share"].fillna(0) >= 0.5)).astype(float)

        # models
        n = len(df)
        p_prof = np.full(n, np.nan)
        p_beh = np.full(n, np.nan)
        if self.method == "auto":
            has_profile = (df["created_at"].notna() & pd.to_numeric(df["posts_count"], errors="coerce").notna()).to_numpy()
            if models.profile is not None and has_profile.any():
                p_prof[has_profile] = models.profile.predict(prof.loc[has_profile])
            has_posts = (sig["n_posts"].fillna(0) > 0).to_numpy()
            if models.behaviour is not None and has_posts.any():
                bx = sig.loc[has_posts, beh_cols].copy()
                # the handle columns of the profile features, with the behaviour model's handle LM
                for c in S.HANDLE_FEATURES:
                    bx[c] = prof.loc[has_posts, c]
                bx["handle_ngram_loglik"] = extra["lm_behaviour"][has_posts]
                for c in ("log_followers", "log_following", "follow_ratio"):
                    bx[c] = prof.loc[has_posts, c]
                p_beh[has_posts] = models.behaviour.predict(bx)
                del bx
        threshold = self._threshold(models)
        rules = rule_score(sig).to_numpy()
        score = combine_scores(p_prof, p_beh, rules)
        source = np.where(np.isnan(p_prof), "", "profile_model+").astype(object) \
            + np.where(np.isnan(p_beh), "", "behaviour_model+").astype(object) + "rules"
        hits = rule_hits(sig)
        hit_arr = {r[0]: hits[r[0]].to_numpy() for r in RULES}
        val_arr = {r[0]: pd.to_numeric(sig[r[0]], errors="coerce").to_numpy(dtype=float) if r[0] in sig else None for r in RULES}
        top = self._evidence_all(val_arr, hit_arr, p_prof, p_beh)

        flagged = score >= threshold
        # the findings as Arrow columns, the frames they came from freed first (at 10M posts the
        # frames of 660k accounts are gigabytes; NaN is written as NULL, as from a pandas frame)
        cols: dict[str, Any] = {"platform": df["platform"].astype(str), "account_id": df["account_id"].astype(str),
                                "handle": df["handle"]}
        for c in sig.columns:
            cols[c] = pd.to_numeric(sig[c], errors="coerce").astype(float).to_numpy()
        del df, sig, prof, hits, hit_arr, val_arr
        cols.update(profile_score=p_prof, behaviour_score=p_beh, rule_score=rules, operation_score=score,
                    flagged=flagged, operation_label=flagged, score_source=source, top_signals=top)
        del top
        out = pa.table({c: pa.array(v, from_pandas=True) for c, v in cols.items()})
        del cols
        engine.write("account_scores", out)
        return {
            "accounts": int(n),
            "flagged": int(flagged.sum()),
            "scored_by": {k: int(v) for k, v in pd.Series(source).value_counts().items()},
            "threshold": threshold,
            "threshold_source": "parameter" if self.threshold is not None else
            ("model card (calibrated on held-out accounts)" if "flag" in (models.card or {}) else "default 0.6"),
        }

    def _threshold(self, models) -> float:
        """The flag threshold: the parameter, else the models' calibrated one, else 0.6."""
        if self.threshold is not None:
            return float(self.threshold)
        flag = (models.card or {}).get("flag") or {}
        return float(flag.get("threshold", DEFAULT_THRESHOLD))

    @staticmethod
    def _evidence(i: int, values: dict, hits: dict, pp: float, pb: float) -> str:
        items: list[dict[str, Any]] = []
        if pp == pp:
            items.append({"signal": "profile_model", "value": round(float(pp), 4),
                          "reason": "profile resembles spambot / fake-follower profiles (cresci-2017 model)"})
        if pb == pb:
            items.append({"signal": "behaviour_model", "value": round(float(pb), 4),
                          "reason": "posting style resembles state-backed troll accounts (IRA model)"})
        met = []
        for s, test, w, why in RULES:
            if hits[s][i]:
                v = values[s][i] if values[s] is not None else None
                met.append((w, {"signal": s, "value": None if v is None or v != v else round(float(v), 4),
                                "rule": test, "reason": why}))
        met.sort(key=lambda x: -x[0])
        items.extend(m for _w, m in met)
        items.sort(key=lambda d: -(d["value"] or 0) if d["signal"].endswith("_model") else 0)
        return json.dumps(items[:8])

    @staticmethod
    def _evidence_all(values: dict, hits: dict, pp: np.ndarray, pb: np.ndarray) -> list[str]:
        """:meth:`_evidence` for every account at once (the same JSON strings, built from
        per-rule fragments instead of one ``json.dumps`` per account)."""
        def num(v: float) -> str:  # json.dumps of a rounded float, without the encoder's overhead
            r = round(v, 4)
            return repr(r) if r - r == 0 else json.dumps(r)

        n = len(pp)
        order = sorted(range(len(RULES)), key=lambda k: -RULES[k][2])  # heaviest rules first (stable)
        H = np.zeros((n, len(order)), dtype=bool)
        V = np.full((n, len(order)), np.nan)
        pre, post = [], []
        for j, k in enumerate(order):
            s, test, _w, why = RULES[k]
            H[:, j] = hits[s]
            if values[s] is not None:
                V[:, j] = values[s]
            pre.append('{"signal": ' + json.dumps(s) + ', "value": ')
            post.append(', "rule": ' + json.dumps(test) + ', "reason": ' + json.dumps(why) + "}")
        rows, cols = np.nonzero(H)
        vals = V[rows, cols]
        items = [pre[c] + ("null" if v != v else num(v)) + post[c] for c, v in zip(cols.tolist(), vals.tolist())]
        bounds = np.searchsorted(rows, np.arange(n + 1)).tolist()
        prof_txt = ', "reason": ' + json.dumps("profile resembles spambot / fake-follower profiles (cresci-2017 model)") + "}"
        beh_txt = ', "reason": ' + json.dumps("posting style resembles state-backed troll accounts (IRA model)") + "}"
        out = []
        for i, (a, b) in enumerate(zip(pp.tolist(), pb.tolist())):
            models = []
            if a == a:
                models.append((round(a, 4), '{"signal": "profile_model", "value": ' + num(a) + prof_txt))
            if b == b:
                models.append((round(b, 4), '{"signal": "behaviour_model", "value": ' + num(b) + beh_txt))
            if len(models) == 2 and models[1][0] > models[0][0]:
                models.reverse()
            parts = [m[1] for m in models] + items[bounds[i] : bounds[i + 1]][: 8 - len(models)]
            out.append("[" + ", ".join(parts) + "]")
        return out

    @classmethod
    def _empty(cls) -> pd.DataFrame:
        """No accounts: every declared column of ``account_scores``, no rows."""
        dtypes = {"VARCHAR": str, "DOUBLE": float, "BOOLEAN": bool}
        return pd.DataFrame({c.name: pd.Series(dtype=dtypes[c.type]) for c in cls.writes[0].columns})
