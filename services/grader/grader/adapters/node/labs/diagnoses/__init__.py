"""A.D.A.'s diagnoses: what a submission's measurements (and code) say went wrong, per lab.

A diagnosis names one cause, shows the numbers that point to it, says what to do in
complete sentences, and names the words of the course to read about it (the portal's
offline engine finds the step that teaches them). Run-time measurements outrank a reading
of the source: a code fact (code_facts.py) is only used when nothing measured speaks to the
same cause. The limits are the judges' own, imported from the lab modules, so a diagnosis
cannot disagree with the check it explains.
"""
