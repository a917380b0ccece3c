"""analyze-batch: analyze-video over a folder of sessions, on a local process pool or a Ray cluster.

inputs.py expands INPUT arguments, job.py is the per-input function (analyze-video's own code),
outputs.py writes OUT_DIR (JSONs, summary.csv, the resume ledger), runners.py runs the jobs, command.py
is the sub-command.
"""
