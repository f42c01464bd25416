//! Administration: territories, public holidays, organisations, programmes (workflow, funding, projects),
//! users, memberships and API tokens. Administrators configure; they never read cases.

mod holidays;
mod init;
mod organisations;
mod programmes;
mod territories;
mod tokens;
mod users;

pub use holidays::*;
pub use init::*;
pub use organisations::*;
pub use programmes::*;
pub use territories::*;
pub use tokens::*;
pub use users::*;
