"""Run a Splink 4 (DuckDB backend) linkage job and write the matching pairs as CSV.

Usage mirrors `itinera link`:

    splink_run.py dedupe INPUT.csv --id rec_id --profile febrl3 --out PAIRS.csv
    splink_run.py link LEFT.csv RIGHT.csv --id rec_id --profile febrl4 --out PAIRS.csv

The output has the header `left_id,right_id,match_probability`, one row per pair
whose match probability is at least the threshold (default 0.5). For `link`,
left_id always comes from LEFT.csv and right_id from RIGHT.csv.

Each profile is a Fellegi-Sunter model in the style of Splink's own examples:
prediction blocking rules, comparisons, the prior estimated from deterministic
rules, u estimated by random sampling and m by expectation maximisation over two
blocking rules. Columns that hold the truth (person_id) are dropped before the
model sees the data.
"""

import argparse
import logging
import os
import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on


def log(message, started=[time.perf_counter()]):
    """Print a progress line with the time since start to stderr."""
    print(f"[splink {time.perf_counter() - started[0]:6.2f}s] {message}", file=sys.stderr)


def febrl_select(id_col):
    """Columns of a FEBRL file as Splink sees them: all text as exported, plus
    the birth date parsed (YYYYMMDD; impossible dates such as 19551192 are NULL).

    The parsed date feeds DateOfBirthComparison with input_is_string=False: in
    Splink 4.0 a string input's datetime_format reaches the null level only, and
    its date-difference levels parse with '%Y-%m-%d', so they never fire on FEBRL.
    """
    return f"""
        select {id_col}, given_name, surname, street_number, address_1, address_2,
               suburb, postcode, state, date_of_birth, soc_sec_id,
               try_strptime(date_of_birth, '%Y%m%d')::date as dob
        from {{src}}
    """


def febrl3_profile():
    """FEBRL3 dedupe model, after Splink's FEBRL3 example."""
    return dict(
        select=febrl_select,
        blocking=[
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        deterministic=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
        u_max_pairs=1e6,
        em=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=False,
    )


def febrl4_profile():
    """FEBRL4 link-only model, after the detailed model of Splink's FEBRL4 example."""
    return dict(
        select=febrl_select,
        blocking=[
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
        deterministic=[
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
        ],
        recall=0.8,
        u_max_pairs=1e6,
        em=[block_on("date_of_birth"), block_on("postcode")],
        em_without_tf=True,
    )


def synth_select(id_col):
    """Synthetic columns, lightly normalised; birth dates in either format parsed."""
    return f"""
        select
            {id_col},
            nullif(lower(trim(given_name)), '') as given_name,
            nullif(lower(trim(surname)), '') as surname,
            nullif(split_part(lower(trim(surname)), ' ', 1), '') as surname_1,
            nullif(upper(trim(sex)), '') as sex,
            coalesce(
                try_strptime(trim(birth_date), '%Y-%m-%d'),
                try_strptime(trim(birth_date), '%d/%m/%Y')
            )::date as birth_date,
            nullif(regexp_replace(upper(document), '[^0-9A-Z]', '', 'g'), '') as document,
            nullif(trim(postcode), '') as postcode,
            nullif(lower(trim(municipality)), '') as municipality,
            nullif(lower(trim(address)), '') as address,
            nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 9), '') as phone,
            nullif(lower(trim(email)), '') as email
        from {{src}}
    """


def synth_profile():
    """Dedupe model for the `itinera link synth` columns (person_id is never used)."""
    return dict(
        select=synth_select,
        blocking=[
            block_on("document"),
            block_on("given_name", "surname"),
            block_on("surname_1", "birth_date"),
            block_on("given_name", "birth_date"),
            block_on("phone"),
            block_on("email"),
            block_on("postcode", "address"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.DamerauLevenshteinAtThresholds("document", [1, 2]),
            cl.ExactMatch("sex"),
            cl.LevenshteinAtThresholds("postcode", [1]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("municipality").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            cl.DamerauLevenshteinAtThresholds("phone", [1]),
            cl.EmailComparison("email"),
        ],
        deterministic=[
            block_on("document"),
            block_on("given_name", "surname", "birth_date"),
        ],
        recall=0.8,
        u_max_pairs=1e6,
        em=[block_on("document"), block_on("birth_date", "postcode")],
        em_without_tf=True,
    )


PROFILES = {"febrl3": febrl3_profile, "febrl4": febrl4_profile, "synth": synth_profile}


def load(con, path, table, select, id_col):
    """Load a CSV (every column as text, empty cells NULL) through the profile's select."""
    quoted = path.replace("'", "''")
    raw = f"read_csv('{quoted}', header=true, all_varchar=true)"
    con.sql(f"create table {table} as " + select(id_col).format(src=raw))
    return con.sql(f"select count(*) from {table}").fetchall()[0][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["dedupe", "link"])
    parser.add_argument("inputs", nargs="+", help="one CSV for dedupe, two for link")
    parser.add_argument("--id", required=True, help="unique id column")
    parser.add_argument("--profile", required=True, choices=sorted(PROFILES))
    parser.add_argument("--out", required=True, help="pairs CSV to write")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=42, help="seed of u sampling")
    parser.add_argument("--model-out", help="also save the trained model as JSON")
    args = parser.parse_args()
    expected = 1 if args.mode == "dedupe" else 2
    if len(args.inputs) != expected:
        parser.error(f"{args.mode} takes {expected} input file(s)")

    logging.getLogger("splink").setLevel(logging.WARNING)
    profile = PROFILES[args.profile]()
    con = duckdb.connect()
    tables = []
    for i, path in enumerate(args.inputs):
        name = f"input_{i}"
        rows = load(con, path, name, profile["select"], args.id)
        tables.append(name)
        log(f"loaded {path}: {rows} rows")

    settings = SettingsCreator(
        unique_id_column_name=args.id,
        link_type="dedupe_only" if args.mode == "dedupe" else "link_only",
        blocking_rules_to_generate_predictions=profile["blocking"],
        comparisons=profile["comparisons"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, db_api,
                    set_up_basic_logging=False)

    linker.training.estimate_probability_two_random_records_match(
        profile["deterministic"], recall=profile["recall"]
    )
    linker.training.estimate_u_using_random_sampling(
        max_pairs=profile["u_max_pairs"], seed=args.seed
    )
    log("estimated prior and u")
    for rule in profile["em"]:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=profile["em_without_tf"]
        )
    log("estimated m by EM")
    if args.model_out:
        linker.misc.save_model_to_json(args.model_out, overwrite=True)

    predictions = linker.inference.predict(threshold_match_probability=args.threshold)
    name = predictions.physical_name
    if args.mode == "link":
        # source_dataset holds the templated name of the input: table 0 is LEFT.
        left = "__splink__input_table_0"
        select = f"""
            select
                case when source_dataset_l = '{left}' then {args.id}_l else {args.id}_r end
                    as left_id,
                case when source_dataset_l = '{left}' then {args.id}_r else {args.id}_l end
                    as right_id,
                match_probability
            from {name}
        """
    else:
        select = f"select {args.id}_l as left_id, {args.id}_r as right_id, " \
                 f"match_probability from {name}"
    tmp = args.out + ".tmp"
    con.sql(f"copy ({select}) to '{tmp}' (header, delimiter ',')")
    os.replace(tmp, args.out)
    count = con.sql(f"select count(*) from {name}").fetchall()[0][0]
    log(f"wrote {count} pairs to {args.out}")


if __name__ == "__main__":
    main()
