"""The floor for the one-shot command: the same call and JSON output, with httpx and nothing else."""

import json
import os
import sys

import httpx

response = httpx.get(sys.argv[1] + "/credits", headers={"Authorization": f"Bearer {os.environ['OPENROUTER_API_KEY']}"})
data = response.json()["data"]
total, used = data["total_credits"], data["total_usage"]
print(json.dumps({"total_credits": total, "total_usage": used, "remaining": total - used}))
