"""One module per example. Each defines NAME, Config, PROFILES, DATASETS and run(config, ctx).

The code shown on the site is taken from these files, between
`# --8<-- [start:NAME]` and `# --8<-- [end:NAME]` markers (pymdownx.snippets).
"""
