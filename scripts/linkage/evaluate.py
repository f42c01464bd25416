"""Pairwise precision, recall and F1 of a linkage result against the known truth.

    evaluate.py dedupe PAIRS.csv DATA.csv --id rec_id --entity febrl
    evaluate.py dedupe PAIRS.csv synth.csv --id rec_id --entity person_id
    evaluate.py link PAIRS.csv LEFT.csv RIGHT.csv --id rec_id --entity febrl

PAIRS.csv has the columns left_id and right_id (further columns are ignored).

Truth: every record belongs to one entity. With `--entity febrl` the entity is
the number in a FEBRL rec_id (`rec-123-org`, `rec-123-dup-0` -> 123); otherwise
it is the value of the named column (an empty value is an entity of its own).
The true pairs of a dedupe are all unordered pairs of distinct records of one
entity; those of a link are all (left, right) pairs of one entity.

Predicted pairs are counted once: for a dedupe (a, b) and (b, a) are the same
pair and self pairs are dropped; for a link left_id must come from LEFT and
right_id from RIGHT. A pair naming an unknown id counts as a false positive.
precision = TP / predicted, recall = TP / true, F1 = 2PR / (P + R).
"""

import argparse
import csv
import json
import sys
from collections import Counter


def entity_of(row, id_col, entity):
    """Entity key of one record."""
    if entity == "febrl":
        parts = row[id_col].split("-")
        if len(parts) < 3 or not parts[1].isdigit():
            sys.exit(f"not a FEBRL rec_id: {row[id_col]!r}")
        return parts[1]
    value = row[entity]
    return value if value != "" else ("<unique>", row[id_col])


def read_truth(path, id_col, entity):
    """Map id -> entity for one data file."""
    truth = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for col in (id_col, entity if entity != "febrl" else id_col):
            if col not in reader.fieldnames:
                sys.exit(f"{path}: no column {col!r}")
        for row in reader:
            key = row[id_col]
            if key in truth:
                sys.exit(f"{path}: duplicate id {key!r}")
            truth[key] = entity_of(row, id_col, entity)
    return truth


def read_pairs(path):
    """Yield (left_id, right_id) from a pairs CSV."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"left_id", "right_id"} <= set(reader.fieldnames):
            sys.exit(f"{path}: header must contain left_id,right_id")
        for row in reader:
            yield row["left_id"], row["right_id"]


def scores(tp, predicted, true):
    """Precision, recall and F1 (0 where undefined)."""
    precision = tp / predicted if predicted else 0.0
    recall = tp / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate_dedupe(pairs_path, data_path, id_col, entity):
    truth = read_truth(data_path, id_col, entity)
    sizes = Counter(truth.values())
    true_pairs = sum(k * (k - 1) // 2 for k in sizes.values())
    seen = set()
    unknown = self_pairs = 0
    for a, b in read_pairs(pairs_path):
        if a == b:
            self_pairs += 1
            continue
        seen.add((a, b) if a < b else (b, a))
    tp = 0
    for a, b in seen:
        ea, eb = truth.get(a), truth.get(b)
        if ea is None or eb is None:
            unknown += 1
        elif ea == eb:
            tp += 1
    return dict(rows=len(truth), true_pairs=true_pairs, predicted=len(seen), tp=tp,
                unknown_ids=unknown, self_pairs=self_pairs), true_pairs


def evaluate_link(pairs_path, left_path, right_path, id_col, entity):
    left = read_truth(left_path, id_col, entity)
    right = read_truth(right_path, id_col, entity)
    left_sizes, right_sizes = Counter(left.values()), Counter(right.values())
    true_pairs = sum(n * right_sizes.get(e, 0) for e, n in left_sizes.items())
    seen = set(read_pairs(pairs_path))
    tp = unknown = 0
    for a, b in seen:
        ea, eb = left.get(a), right.get(b)
        if ea is None or eb is None:
            unknown += 1
        elif ea == eb:
            tp += 1
    return dict(rows=f"{len(left)}+{len(right)}", true_pairs=true_pairs,
                predicted=len(seen), tp=tp, unknown_ids=unknown), true_pairs


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["dedupe", "link"])
    parser.add_argument("pairs")
    parser.add_argument("data", nargs="+", help="one data CSV for dedupe, two for link")
    parser.add_argument("--id", required=True, help="unique id column of the data")
    parser.add_argument("--entity", required=True,
                        help="'febrl' (number in the rec_id) or a truth column")
    parser.add_argument("--json", help="also write the result to this JSON file")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                        help="extra field for the JSON (repeatable)")
    args = parser.parse_args()

    if args.mode == "dedupe":
        if len(args.data) != 1:
            parser.error("dedupe takes one data file")
        result, true_pairs = evaluate_dedupe(args.pairs, args.data[0], args.id, args.entity)
    else:
        if len(args.data) != 2:
            parser.error("link takes two data files")
        result, true_pairs = evaluate_link(args.pairs, *args.data, args.id, args.entity)
    precision, recall, f1 = scores(result["tp"], result["predicted"], true_pairs)
    result.update(precision=precision, recall=recall, f1=f1)
    for item in args.label:
        key, _, value = item.partition("=")
        result[key] = value
    if result["unknown_ids"]:
        print(f"warning: {result['unknown_ids']} pairs name an id not in the data "
              "(or a link pair in the wrong order)", file=sys.stderr)
    print(f"pairs {result['predicted']} true {true_pairs} tp {result['tp']} "
          f"precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
