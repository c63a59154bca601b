"""Suite-wide settings.

Property-based tests run the same examples on every run, with no time limit per
example, so that a CI result depends on the code alone and not on the machine's load;
exploring new inputs is ``scripts/fuzz.py``'s job.
"""

from hypothesis import settings

settings.register_profile("suite", derandomize=True, database=None, deadline=None)
settings.load_profile("suite")
