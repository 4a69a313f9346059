"""Operation-likeness of accounts: signals, shipped models, training and evaluation.

The package turns what a corpus knows about an account into transparent signals (one number per
signal, see :mod:`.signals`) and combines them into an ``operation_score`` with two shipped models
(:mod:`.model`):

* the **profile model** — a random forest over profile fields only (handle, display name, bio,
  counts, account age, default profile flags), trained on the cresci-2017 genuine accounts and
  spambot / fake-follower families (Cresci et al., WWW 2017);
* the **behaviour model** — a random forest over per-post style shares (reply style, links,
  hashtags, mentions, posting hour) plus handle and follower counts, trained on the IRA vs organic
  corpus (Linvill & Warren 2020 IRA tweets vs RumourEval/PHEME organic tweets) on samples of at
  most three posts per account, so that posting volume cannot explain a score;
* a documented **rule set** (:data:`.model.RULES`) for accounts neither model can score.

Train with ``engineroom train accounts``; measure with ``engineroom eval accounts``.
"""

from .model import AccountModels, load_models  # noqa: F401
