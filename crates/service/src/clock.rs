//! The clock is injected: services never read the time themselves, tests set it. The
//! clock, the ids made from its time and the stopwatch live in `itinera-clock`, the one
//! crate that reads the system time.

pub use itinera_clock::{new_id, Clock, FixedClock, ShiftedClock, Stopwatch, SystemClock};
