//! Protocols and guides: published by a body's conveners, versioned; the version in
//! force is shown to everyone it concerns, who confirm reading it; the body sees who
//! has not.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability, Role};
use itinera_domain::ids::BodyId;
use itinera_domain::protocols::{
    concerns, in_force, parse_roles, ProtocolInput, Scope, Validity, VersionInput,
};
use itinera_domain::Error;
use itinera_store::coordination::{self as bodies, Reference};
use itinera_store::protocols::{self as store, Protocol, Reader, Version};
use itinera_store::Tx;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::{Ctx, Services};

/// A new protocol with its first version.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewProtocol {
    #[serde(flatten)]
    pub protocol: ProtocolInput,
    #[serde(flatten)]
    pub version: VersionInput,
}

// ---- What leaves the server -------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProtocolDocument {
    pub id: Uuid,
    pub title: String,
    pub kind: String,
    pub programme_id: Option<Uuid>,
    pub programme_name: Option<String>,
    pub body_id: Option<Uuid>,
    pub body_name: Option<String>,
    pub owner_organisation_id: Uuid,
    pub owner_organisation_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::protocols::Protocol> for ProtocolDocument {
    fn from(r: itinera_store::protocols::Protocol) -> Self {
        ProtocolDocument {
            id: r.id,
            title: r.title,
            kind: r.kind,
            programme_id: r.programme_id,
            programme_name: r.programme_name,
            body_id: r.body_id,
            body_name: r.body_name,
            owner_organisation_id: r.owner_organisation_id,
            owner_organisation_name: r.owner_organisation_name,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProtocolVersion {
    pub id: Uuid,
    pub protocol_id: Uuid,
    pub version: i32,
    pub summary: String,
    pub document_ref: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub roles: String,
    pub published_by_name: String,
    pub published_at: DateTime<Utc>,
}

impl From<itinera_store::protocols::Version> for ProtocolVersion {
    fn from(r: itinera_store::protocols::Version) -> Self {
        ProtocolVersion {
            id: r.id,
            protocol_id: r.protocol_id,
            version: r.version,
            summary: r.summary,
            document_ref: r.document_ref,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            roles: r.roles,
            published_by_name: r.published_by_name,
            published_at: r.published_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProtocolChange {
    pub id: Uuid,
    pub text: String,
    pub applied_in_version: Option<i32>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::protocols::Change> for ProtocolChange {
    fn from(r: itinera_store::protocols::Change) -> Self {
        ProtocolChange {
            id: r.id,
            text: r.text,
            applied_in_version: r.applied_in_version,
            created_by_name: r.created_by_name,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    #[serde(flatten)]
    pub version: ProtocolVersion,
    pub in_force: bool,
}

/// A professional concerned by the version in force, and whether they confirmed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReaderStatus {
    pub user_id: Uuid,
    pub display_name: String,
    pub organisation_name: String,
    pub read_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProtocolView {
    pub protocol: ProtocolDocument,
    pub versions: Vec<VersionView>,
    /// The number of the version in force, if any.
    pub in_force: Option<i32>,
    /// Whether the version in force concerns the actor, and whether they confirmed it.
    pub concerns_me: bool,
    pub read_by_me: bool,
    pub changes: Vec<ProtocolChange>,
    /// Who the version in force concerns, read or not (for the body's conveners).
    pub readers: Vec<ReaderStatus>,
    /// Whether the reader may publish its next version.
    pub can_publish: bool,
}

/// A protocol line as listed: the version in force and whether the actor must read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProtocolLine {
    #[serde(flatten)]
    pub protocol: ProtocolDocument,
    pub in_force: Option<i32>,
    pub to_read: bool,
}

fn validity(v: &Version) -> Validity {
    Validity {
        version: v.version,
        valid_from: v.valid_from,
        valid_until: v.valid_until,
    }
}

fn current(versions: &[Version], today: chrono::NaiveDate) -> Option<&Version> {
    let all: Vec<Validity> = versions.iter().map(validity).collect();
    let n = in_force(&all, today)?;
    versions.iter().find(|v| v.version == n)
}

/// The concerned professionals (one line each) of a version.
fn concerned(readers: Vec<Reader>, roles: &[Role]) -> Vec<Reader> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<Reader> = Vec::new();
    for r in readers {
        let held: Vec<Role> = Role::parse(&r.role).into_iter().collect();
        if concerns(roles, &held) && seen.insert(r.user_id) {
            out.push(r);
        }
    }
    out
}

/// Who publishes a protocol's versions: those who run its body, or the professionals
/// (who may convene) of the organisation that owns it.
async fn may_publish(tx: &mut Tx, actor: &Actor, p: &Protocol) -> Result<bool, Error> {
    if !actor.can(Capability::ConveneBodies) {
        return Ok(false);
    }
    if p.owner_organisation_id == actor.organisation_id {
        return Ok(true);
    }
    Ok(match p.body_id {
        Some(b) => crate::guard::require_runs(tx, actor, b).await.is_ok(),
        None => false,
    })
}

async fn visible(tx: &mut Tx, actor: &Actor, id: Uuid) -> Result<Protocol, Error> {
    store::protocol(tx, id, actor.user(), actor.organisation())
        .await?
        .ok_or(Error::NotFound)
}

impl Services {
    /// Publishes a protocol or guide with its first version.
    pub async fn create_protocol(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &NewProtocol,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let (p, v) = match (input.protocol.validate(), input.version.validate()) {
            (Ok(p), Ok(v)) => (p, v),
            (Err(Error::Invalid(mut a)), Err(Error::Invalid(b))) => {
                a.extend(b);
                return Err(Error::Invalid(a));
            }
            (Err(e), _) | (_, Err(e)) => return Err(e),
        };
        if !v.applies.is_empty() {
            return Err(Error::field("applies", "validation.choice"));
        }
        let mut tx = self.store.write().await?;
        match p.scope {
            Scope::Programme(id) => {
                if !bodies::reference_exists(&mut tx, Reference::Programmes, id).await? {
                    return Err(Error::field("programme_id", "validation.choice"));
                }
            }
            Scope::Body(id) => {
                if bodies::body(&mut tx, BodyId(id), actor.user(), actor.organisation())
                    .await?
                    .is_none()
                {
                    return Err(Error::field("body_id", "validation.choice"));
                }
                // Said on the choice, so that the form comes back with what was typed.
                crate::guard::require_runs(&mut tx, actor, id)
                    .await
                    .map_err(|e| match e {
                        Error::Forbidden => Error::field("body_id", "protocols.body_not_run"),
                        e => e,
                    })?;
            }
        }
        // A programme's protocol is published by the organisation that owns it.
        if matches!(p.scope, Scope::Programme(_))
            && p.owner_organisation_id != actor.organisation_id
        {
            return Err(Error::field("owner_organisation_id", "protocols.owner_own"));
        }
        if !bodies::reference_exists(&mut tx, Reference::Organisations, p.owner_organisation_id)
            .await?
        {
            return Err(Error::field("owner_organisation_id", "validation.choice"));
        }
        let id = ctx.new_id();
        store::insert_protocol(&mut tx, id, &p, actor.user_id, ctx.now).await?;
        store::insert_version(&mut tx, ctx.new_id(), id, &v, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProtocolCreate,
            Some(id),
            json!({"scope": p.scope}),
        )
        .await?;
        Ok(id)
    }

    /// Publishes the next version; it may apply proposed changes.
    pub async fn publish_version(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        protocol: Uuid,
        input: &VersionInput,
    ) -> Result<i32, Error> {
        actor.require(Capability::ConveneBodies)?;
        let v = input.validate()?;
        let mut tx = self.store.write().await?;
        let p = visible(&mut tx, actor, protocol).await?;
        if !may_publish(&mut tx, actor, &p).await? {
            return Err(Error::Forbidden);
        }
        let id = ctx.new_id();
        let n = store::insert_version(&mut tx, id, protocol, &v, actor.user_id, ctx.now).await?;
        for c in &v.applies {
            if !store::apply_change(&mut tx, protocol, *c, id).await? {
                return Err(Error::field("applies", "validation.choice"));
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ProtocolVersion,
            Some(protocol),
            json!({"version": n, "applies": v.applies}),
        )
        .await?;
        Ok(n)
    }

    /// The protocols the actor sees (of one body if given), with the version in force
    /// and whether the actor has still to confirm reading it.
    pub async fn protocols(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Option<Uuid>,
    ) -> Result<Vec<ProtocolLine>, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let lines = self.protocol_lines(&mut tx, actor, ctx, body).await?;
        tx.commit().await?;
        Ok(lines)
    }

    pub(crate) async fn protocol_lines(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        body: Option<Uuid>,
    ) -> Result<Vec<ProtocolLine>, Error> {
        let list = store::protocols(tx, actor.user(), actor.organisation(), body).await?;
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let all = store::versions_of_visible(tx, actor.user(), actor.organisation(), body).await?;
        let read = store::read_by(tx, actor.user_id).await?;
        let mut out = Vec::with_capacity(list.len());
        for p in list {
            let versions: Vec<Version> = all
                .iter()
                .filter(|v| v.protocol_id == p.id)
                .cloned()
                .collect();
            let cur = current(&versions, ctx.today());
            let to_read = cur.is_some_and(|v| {
                concerns(&parse_roles(&v.roles), &actor.roles) && !read.contains(&v.id)
            });
            out.push(ProtocolLine {
                in_force: cur.map(|v| v.version),
                to_read,
                protocol: p.into(),
            });
        }
        Ok(out)
    }

    pub async fn protocol(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ProtocolView, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let protocol = visible(&mut tx, actor, id).await?;
        let versions = store::versions(&mut tx, id).await?;
        let changes = store::changes(&mut tx, id).await?;
        let cur = current(&versions, ctx.today()).cloned();
        // Who publishes a programme's protocol follows its reading across the network;
        // others, their own organisation's.
        let can_publish = may_publish(&mut tx, actor, &protocol).await?;
        let readers_of = (!can_publish).then_some(actor.organisation_id);
        let mut readers = Vec::new();
        let (mut concerns_me, mut read_by_me) = (false, false);
        if let Some(v) = &cur {
            let roles = parse_roles(&v.roles);
            concerns_me = concerns(&roles, &actor.roles);
            let reads: std::collections::HashMap<Uuid, _> =
                store::reads(&mut tx, v.id).await?.into_iter().collect();
            read_by_me = reads.contains_key(&actor.user_id);
            let sees_readers = protocol.body_id.is_some() || actor.can(Capability::ConveneBodies);
            if sees_readers {
                readers = concerned(
                    store::readers(&mut tx, protocol.body_id, readers_of).await?,
                    &roles,
                )
                .into_iter()
                .map(|r| ReaderStatus {
                    read_at: reads.get(&r.user_id).copied(),
                    user_id: r.user_id,
                    display_name: r.display_name,
                    organisation_name: r.organisation_name,
                })
                .collect();
                // Those who have not read first.
                readers.sort_by_key(|r| r.read_at.is_some());
            }
        }
        tx.commit().await?;
        let n = cur.as_ref().map(|v| v.version);
        Ok(ProtocolView {
            versions: versions
                .into_iter()
                .map(|v| VersionView {
                    in_force: Some(v.version) == n,
                    version: v.into(),
                })
                .collect(),
            in_force: n,
            concerns_me,
            read_by_me,
            changes: changes.into_iter().map(Into::into).collect(),
            readers,
            can_publish,
            protocol: protocol.into(),
        })
    }

    /// Confirms the actor has read the version in force.
    pub async fn confirm_protocol_read(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        visible(&mut tx, actor, id).await?;
        let versions = store::versions(&mut tx, id).await?;
        let v = current(&versions, ctx.today()).ok_or(Error::Rule("protocols.none_in_force"))?;
        if store::confirm_read(&mut tx, v.id, actor.user_id, ctx.now).await? {
            audit(
                &mut tx,
                actor,
                ctx,
                Action::ProtocolRead,
                Some(id),
                json!({"version": v.version}),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Proposes a change to a protocol (typed, not from a board).
    pub async fn propose_protocol_change(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        text: &str,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Coordinate)?;
        let text = itinera_domain::text::clean(text)
            .ok_or_else(|| Error::field("text", "validation.required"))?;
        if text.chars().count() > 2000 {
            return Err(Error::field("text", "validation.too_long"));
        }
        let mut tx = self.store.write().await?;
        visible(&mut tx, actor, id).await?;
        let change = ctx.new_id();
        store::insert_change(&mut tx, change, id, &text, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ProtocolChange,
            Some(id),
            json!({"change": change}),
        )
        .await?;
        Ok(change)
    }
}
