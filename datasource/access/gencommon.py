#!/usr/bin/env python3
"""Regenerates common-passwords.txt, the list CheckPassword refuses.

Source: zxcvbn's "passwords" frequency list (Dropbox, MIT licence) as
Debian ships it: apt-get install python3-zxcvbn. Run from this directory:
python3 gencommon.py
"""
import importlib.util

SRC = "/usr/lib/python3/dist-packages/zxcvbn/frequency_lists.py"
spec = importlib.util.spec_from_file_location("frequency_lists", SRC)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
ranked = mod.FREQUENCY_LISTS["passwords"]

seen, out = set(), []
for w in ranked[:3000] + [w for w in ranked if len(w) >= 10]:
    w = w.strip().lower()
    if w and w not in seen and all(32 <= ord(c) < 127 for c in w):
        seen.add(w)
        out.append(w)

HEADER = """# Common passwords that Vigil refuses (datasource/access, CheckPassword).
# Source: the "passwords" frequency list of zxcvbn (Dropbox, MIT licence),
# as shipped by Debian's python3-zxcvbn 4.4.28 in zxcvbn/frequency_lists.py:
# its 3000 most common entries, then every entry of 10 or more characters
# (those the length rule does not already refuse), lower case, in rank
# order, without duplicates. Regenerate with datasource/access/gencommon.py.
"""
with open("common-passwords.txt", "w") as f:
    f.write(HEADER + "\n".join(out) + "\n")
print(len(out), "passwords")
