"""One trainee practising several sessions against a shared progress database (used by the concurrency test).

Usage: python writer.py TRAINEE SESSIONS   (PEILIAN_HOME says which database)
"""

import sys

from scenarios import BUNDLED
from simulator import Session, load_scenario
from simulator.runner import play
from store import StoreRecorder

REPLIES = [  # vague, in the customer's language: the session lasts three turns or more
    "Sorry about this, Ms Carter. Let me check on your refund.",
    "I understand, Ms Carter, and I'm sorry. I'm looking into the 12 yuan for you now.",
    "Please bear with us, we'll sort it out.",
    "We'll get back to you soon.",
    "Please be patient, these things take time.",  # a fifth, should four vague replies leave her short of leaving
]

trainee, n = sys.argv[1], int(sys.argv[2])
scenario = load_scenario(BUNDLED / "return-postage-refund.yaml")
recorder = StoreRecorder()
for i in range(n):
    play(Session(scenario, seed=i), REPLIES, recorder=recorder, trainee=trainee)
print("ok")
