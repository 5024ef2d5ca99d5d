"""One trainee practising several sessions against a shared progress database (used by the concurrency test).

Usage: python writer.py TRAINEE SESSIONS   (PEILIAN_HOME says which database)
"""

import sys

from simulator import Session, load_scenario
from simulator.runner import play
from scenarios import BUNDLED
from store import StoreRecorder

REPLIES = [
    "亲，这边帮您看看哈",
    "抱歉让您久等了，我这边帮您查一下退款进度",
    "您好，请耐心等待",
    "我们会尽快处理",
]

trainee, n = sys.argv[1], int(sys.argv[2])
scenario = load_scenario(BUNDLED / "return-postage-refund.yaml")
recorder = StoreRecorder()
for i in range(n):
    play(Session(scenario, seed=i), REPLIES, recorder=recorder, trainee=trainee)
print("ok")
