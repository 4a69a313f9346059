"""Held-out check of the behaviour model through the real pipeline (run by hand, not at import).

    engineroom ingest ../shared/data/ira_vs_organic_dev/posts.csv.gz --db /tmp/ira2.duckdb
    python -m engineroom.accountscore.holdout_check [DB [MODEL_DIR]]

(defaults: ``/tmp/ira2.duckdb`` and ``/tmp/halfA``).

Trains a behaviour model on a random half of the IRA-vs-organic accounts (into /tmp/halfA), runs
the ``accounts`` analysis with ``max_posts_per_account=3`` and that model over the ingested
corpus, and prints the ROC AUC on the other half (accounts the model never saw).
"""
import json, sys, numpy as np, pandas as pd, engineroom
from pathlib import Path
from sklearn.metrics import roc_auc_score
from engineroom.accountscore import train as T
from engineroom.accountscore.signals import HandleLM
from engineroom.accountscore.model import fit_forest, BEHAVIOUR_FEATURES
from engineroom.analyses.accounts import Accounts

def main(db: str = '/tmp/ira2.duckdb', model_dir: str = '/tmp/halfA') -> None:
    data = Path('../shared/data'); out = Path(model_dir); out.mkdir(exist_ok=True)
    posts, labels = T.load_ira(data); cres = T.load_cresci(data)
    lm_b = HandleLM().fit(cres.loc[cres.y == 0, 'screen_name'])
    rng = np.random.default_rng(1)
    ids = labels.account_id.to_numpy(); train_mask = rng.random(len(ids)) < 0.5
    kd = T._k_distribution(labels); acc = T.ira_account_frame(posts)
    X = pd.concat([T.behaviour_matrix(T.sample_posts(posts, ids[train_mask], kd, rng, draw=d), acc, lm_b) for d in range(6)])
    y = labels.set_index('account_id').y.reindex(X.account_id).to_numpy()
    f = fit_forest(X, y, BEHAVIOUR_FEATURES, n_estimators=300, seed=T.SEED)
    f.save(out / 'behaviour_model.npz')
    (out / 'handle_lm.json').write_text(json.dumps({'profile': HandleLM().to_json(), 'behaviour': lm_b.to_json()}))
    c = engineroom.open(db)
    Accounts(models_dir=str(out), max_posts_per_account=3).run(c.engine())
    s = c.query('SELECT account_id, operation_score, n_posts AS used_posts FROM account_scores')
    m = labels[~train_mask].merge(s, on='account_id')
    print(json.dumps({'held_out_accounts': len(m), 'ira': int(m.y.sum()), 'auc_max3_posts': roc_auc_score(m.y, m.operation_score),
                      'max_posts_used': int(m.used_posts.max())}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
