//! The lesson's data set: hospital admissions of an imaginary country's
//! health ministry, 2019–2024. Every row is made up by a small seeded
//! generator, the same on every machine and every run, so an instructor's
//! class sees the same numbers; no real person is in it. One column,
//! `national_id`, stands for what must never leave the building: its values
//! are visibly fake (`FAKE-…`), and only the insecure twin ever serves it.

use std::sync::OnceLock;

use serde_json::{Value, json};

/// What the data set is called in every answer.
pub const NAME: &str = "hospital admissions 2019-2024 (synthetic: no real person is in it)";

/// How many rows the data set has.
pub const ROWS: usize = 3000;

/// The years the data set covers.
pub const YEARS: std::ops::RangeInclusive<u16> = 2019..=2024;

/// The health regions, as the data set spells them.
pub const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];

/// The column that must never be served.
pub const CONFIDENTIAL: &str = "national_id";

/// The kind of value a column holds, as its description says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number.
    Integer,
    /// Text.
    Text,
    /// `true` or `false`.
    Boolean,
}

impl Kind {
    /// The kind's name in a column description.
    pub fn name(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Text => "text",
            Self::Boolean => "boolean",
        }
    }
}

/// One column of the data set.
#[derive(Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name, as parameters and answers spell it.
    pub name: &'static str,
    /// What its values are.
    pub kind: Kind,
    /// One line for a person.
    pub description: &'static str,
    /// Whether it may never be served.
    pub confidential: bool,
}

/// Every column, in table order; the confidential one is last.
pub const COLUMNS: [Column; 11] = [
    column(
        "record_id",
        Kind::Integer,
        "the admission's number in this data set",
    ),
    column("year", Kind::Integer, "year of admission, 2019 to 2024"),
    column("month", Kind::Integer, "month of admission, 1 to 12"),
    column("region", Kind::Text, "health region of the hospital"),
    column("hospital", Kind::Text, "the admitting hospital"),
    column("age_band", Kind::Text, "the patient's age group"),
    column("sex", Kind::Text, "F or M"),
    column("diagnosis", Kind::Text, "main diagnosis group at discharge"),
    column("length_of_stay", Kind::Integer, "nights in hospital"),
    column(
        "readmitted_30d",
        Kind::Boolean,
        "admitted again within 30 days",
    ),
    Column {
        name: CONFIDENTIAL,
        kind: Kind::Text,
        description: "the patient's national identity number: CONFIDENTIAL, never to be exported",
        confidential: true,
    },
];

const fn column(name: &'static str, kind: Kind, description: &'static str) -> Column {
    Column {
        name,
        kind,
        description,
        confidential: false,
    }
}

/// The columns anyone may see, in table order.
pub fn public_columns() -> impl Iterator<Item = &'static Column> {
    COLUMNS.iter().filter(|column| !column.confidential)
}

/// The column named `name` exactly, confidential or not.
pub fn column_named(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|column| column.name == name)
}

/// One admission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `record_id`
    pub record_id: u32,
    /// `year`
    pub year: u16,
    /// `month`
    pub month: u8,
    /// `region`
    pub region: &'static str,
    /// `hospital`
    pub hospital: &'static str,
    /// `age_band`
    pub age_band: &'static str,
    /// `sex`
    pub sex: &'static str,
    /// `diagnosis`
    pub diagnosis: &'static str,
    /// `length_of_stay`
    pub length_of_stay: u8,
    /// `readmitted_30d`
    pub readmitted_30d: bool,
    /// `national_id`: confidential.
    pub national_id: String,
}

impl Row {
    /// The row's value in `column`, as JSON.
    pub fn value(&self, column: &Column) -> Value {
        match column.name {
            "record_id" => json!(self.record_id),
            "year" => json!(self.year),
            "month" => json!(self.month),
            "region" => json!(self.region),
            "hospital" => json!(self.hospital),
            "age_band" => json!(self.age_band),
            "sex" => json!(self.sex),
            "diagnosis" => json!(self.diagnosis),
            "length_of_stay" => json!(self.length_of_stay),
            "readmitted_30d" => json!(self.readmitted_30d),
            CONFIDENTIAL => json!(self.national_id),
            _ => Value::Null,
        }
    }

    /// The row cut down to `columns`, as a JSON array.
    pub fn project(&self, columns: &[&Column]) -> Value {
        Value::Array(columns.iter().map(|column| self.value(column)).collect())
    }
}

/// Two hospitals per region, in the order of [`REGIONS`]. All made up.
const HOSPITALS: [[&str; 2]; 5] = [
    ["Northfield General", "Saint Brigid's"],
    ["Southport Royal", "Marsh Lane Community"],
    ["Eastbrook University", "Harbour View"],
    ["Westmoor District", "Riverside Infirmary"],
    ["Central City General", "Kingsgate Children's"],
];

/// How many admissions each region has, relatively: the capital's region is
/// the largest.
const REGION_WEIGHTS: [u64; 5] = [18, 20, 17, 15, 30];

/// Age groups and how common each is among admissions.
const AGE_BANDS: [(&str, u64); 5] = [
    ("0-17", 12),
    ("18-39", 22),
    ("40-64", 26),
    ("65-79", 24),
    ("80+", 16),
];

/// Diagnosis groups, how common each is, and the shortest and longest stay.
const DIAGNOSES: [(&str, u64, u8, u8); 8] = [
    ("respiratory", 16, 2, 10),
    ("cardiovascular", 15, 3, 14),
    ("injury", 14, 1, 12),
    ("digestive", 13, 1, 8),
    ("maternity", 12, 1, 4),
    ("cancer", 10, 3, 21),
    ("mental health", 8, 5, 35),
    ("infection", 12, 2, 9),
];

/// The rows, made once on first use.
pub fn rows() -> &'static [Row] {
    static ROWS_MADE: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS_MADE.get_or_init(generate)
}

/// SplitMix64: a tiny, well-mixed generator. Good enough for made-up
/// statistics and for nothing that needs to be unpredictable.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A number in `0..bound` (`bound` > 0; the slight bias is harmless here).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    fn weighted(&mut self, weights: impl Iterator<Item = u64> + Clone) -> usize {
        let mut pick = self.below(weights.clone().sum());
        for (index, weight) in weights.enumerate() {
            if pick < weight {
                return index;
            }
            pick -= weight;
        }
        0
    }

    /// `true` with probability `percent` in 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn generate() -> Vec<Row> {
    // The seed is arbitrary and fixed: every safelab serves the same rows.
    let mut random = SplitMix64(0x5AFE_1AB0_2024_0003);
    let per_year = ROWS / YEARS.clone().count();
    let mut rows = Vec::with_capacity(ROWS);
    for record in 0..ROWS {
        let year_index = u16::try_from(record / per_year).unwrap_or_default();
        let year = (YEARS.start() + year_index).min(*YEARS.end());
        let region_index = random.weighted(REGION_WEIGHTS.iter().copied());
        let (diagnosis, _, shortest, longest) =
            DIAGNOSES[random.weighted(DIAGNOSES.iter().map(|entry| entry.1))];
        let maternity = diagnosis == "maternity";
        let age_band = if maternity {
            // Mothers are adults, mostly young ones.
            ["18-39", "18-39", "18-39", "40-64"][random.below(4) as usize]
        } else {
            AGE_BANDS[random.weighted(AGE_BANDS.iter().map(|entry| entry.1))].0
        };
        let sex = if maternity || random.chance(51) {
            "F"
        } else {
            "M"
        };
        let span = u64::from(longest - shortest) + 1;
        let length_of_stay = shortest + u8::try_from(random.below(span)).unwrap_or_default();
        let readmitted_30d = random.chance(if age_band == "80+" { 18 } else { 9 });
        let national_id = format!(
            "FAKE-{:03}-{:03}-{:03}",
            random.below(1000),
            random.below(1000),
            random.below(1000)
        );
        rows.push(Row {
            record_id: u32::try_from(record + 1).unwrap_or(u32::MAX),
            year,
            month: 1 + u8::try_from(random.below(12)).unwrap_or_default(),
            region: REGIONS[region_index],
            hospital: HOSPITALS[region_index][random.below(2) as usize],
            age_band,
            sex,
            diagnosis,
            length_of_stay,
            readmitted_30d,
            national_id,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_data_set_is_large_deterministic_and_visibly_fake() {
        let rows = rows();
        assert_eq!(rows.len(), ROWS);
        assert_eq!(generate(), rows, "the same rows on every run");
        assert!(rows.iter().all(|row| row.national_id.starts_with("FAKE-")));
        let ids: HashSet<&str> = rows.iter().map(|row| row.national_id.as_str()).collect();
        assert!(ids.len() > ROWS - 5, "national ids are (nearly) unique");
        for year in YEARS {
            let count = rows.iter().filter(|row| row.year == year).count();
            assert_eq!(count, ROWS / 6, "{year}");
        }
        for region in REGIONS {
            assert!(rows.iter().filter(|row| row.region == region).count() > 300);
        }
        assert!(
            rows.iter()
                .filter(|row| row.diagnosis == "maternity")
                .all(|row| row.sex == "F")
        );
        assert!(rows.iter().all(|row| (1..=12).contains(&row.month)));
    }

    #[test]
    fn only_the_last_column_is_confidential_and_every_column_has_values() {
        assert_eq!(public_columns().count(), COLUMNS.len() - 1);
        assert!(COLUMNS.last().is_some_and(|column| column.confidential));
        assert_eq!(
            column_named(CONFIDENTIAL).map(|c| c.confidential),
            Some(true)
        );
        let row = &rows()[0];
        for column in &COLUMNS {
            assert!(!row.value(column).is_null(), "{}", column.name);
        }
    }
}
