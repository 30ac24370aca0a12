//! The providers whose notices Clinic reads, and what is known of each one's mail (name, sender
//! domains, the wording of its templates), which `detect` uses to recognise a sender.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A provider whose notices this module understands. `Display` gives the provider type the reference
/// library uses (lower case), which is also the `provider` field of maintenances read from its templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderId {
    Apple,
    AquaComms,
    Arelion,
    Att,
    Aws,
    Bso,
    Cogent,
    Colt,
    CrownCastle,
    Equinix,
    EuNetworks,
    GlobalCloudXchange,
    Google,
    Gtt,
    Hgc,
    Lumen,
    Megaport,
    Momentum,
    Netflix,
    Ntt,
    PacketFabric,
    Pccw,
    Seaborn,
    Sparkle,
    Tata,
    Telstra,
    Turkcell,
    Verizon,
    Windstream,
    Zayo,
    // Providers circuit-maintenance-parser 2.12.0 added, kept together.
    SummitIg,
    Retn,
    Telxius,
    Vodafone,
    Cirion,
    Flag,
    /// Any sender of a BCOP (X-MAINTNOTE) iCalendar notice.
    #[serde(rename = "genericprovider")]
    Generic,
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.profile().name)
    }
}

/// What is known of a provider's mail.
pub(super) struct Profile {
    name: &'static str,
    /// Sender of its notices, used as `organizer` when a notice names none.
    organizer: &'static str,
    /// Domains (and their subdomains) it sends notices from.
    pub(super) domains: &'static [&'static str],
    /// Lower-case phrases of its templates and signatures, for when the sender is unknown or anonymised.
    pub(super) markers: &'static [&'static str],
}

pub(super) const ALL: [ProviderId; 36] = [
    ProviderId::Apple,
    ProviderId::AquaComms,
    ProviderId::Arelion,
    ProviderId::Att,
    ProviderId::Aws,
    ProviderId::Bso,
    ProviderId::Cogent,
    ProviderId::Colt,
    ProviderId::CrownCastle,
    ProviderId::Equinix,
    ProviderId::EuNetworks,
    ProviderId::GlobalCloudXchange,
    ProviderId::Google,
    ProviderId::Gtt,
    ProviderId::Hgc,
    ProviderId::Lumen,
    ProviderId::Megaport,
    ProviderId::Momentum,
    ProviderId::Netflix,
    ProviderId::Ntt,
    ProviderId::PacketFabric,
    ProviderId::Pccw,
    ProviderId::Seaborn,
    ProviderId::Sparkle,
    ProviderId::Tata,
    ProviderId::Telstra,
    ProviderId::Turkcell,
    ProviderId::Verizon,
    ProviderId::Windstream,
    ProviderId::Zayo,
    ProviderId::SummitIg,
    ProviderId::Retn,
    ProviderId::Telxius,
    ProviderId::Vodafone,
    ProviderId::Cirion,
    ProviderId::Flag,
];

impl ProviderId {
    pub fn default_organizer(self) -> &'static str {
        self.profile().organizer
    }

    pub(super) fn profile(self) -> Profile {
        let p = |name, organizer, domains, markers| Profile {
            name,
            organizer,
            domains,
            markers,
        };
        match self {
            ProviderId::Apple => p(
                "apple",
                "peering-noc@group.apple.com",
                &["group.apple.com", "apple.com"],
                &[
                    "apple (as714)",
                    "peering-noc@group.apple.com",
                    "thank you for peering with apple",
                ],
            ),
            ProviderId::AquaComms => p(
                "aquacomms",
                "tickets@aquacomms.com",
                &["aquacomms.com"],
                &["aqua comms", "aquacomms"],
            ),
            ProviderId::Arelion => p(
                "arelion",
                "support@arelion.com",
                &["arelion.com", "teliacompany.com"],
                &["arelion"],
            ),
            ProviderId::Att => p(
                "att",
                "g31654@att.com",
                &["att.com"],
                &["customer impact description:", "business risk:", "@att.com"],
            ),
            ProviderId::Aws => p(
                "aws",
                "aws-account-notifications@amazon.com",
                &["amazon.com", "amazonaws.com"],
                &["aws direct connect", "amazon web services", "[aws account"],
            ),
            ProviderId::Bso => p(
                "bso",
                "network-servicedesk@bso.co",
                &["bso.co", "bsonetwork.net"],
                &[
                    "bso - redefining connectivity",
                    "servicedesk.bsonetwork.net",
                    "bso's upstream provider",
                    "bso support",
                ],
            ),
            ProviderId::Cogent => p(
                "cogent",
                "support@cogentco.com",
                &["cogentco.com"],
                &[
                    "cogentco.com",
                    "dear cogent customer",
                    "cogent communications",
                    "1-877-7-cogent",
                ],
            ),
            ProviderId::Colt => p(
                "colt",
                "PlannedWorks@colt.net",
                &["colt.net"],
                &[
                    "colt.net",
                    "colt online",
                    "colt third party maintenance",
                    "colt service affecting",
                    "colt change management",
                ],
            ),
            ProviderId::CrownCastle => p(
                "crowncastle",
                "fiberchangemgmt@crowncastle.com",
                &["crowncastle.com"],
                &["crown castle fiber", "crowncastle.com"],
            ),
            ProviderId::Equinix => p(
                "equinix",
                "servicedesk@equinix.com",
                &["equinix.com"],
                &[
                    "dear equinix customer",
                    "equinix network maintenance",
                    "ibx(s):",
                    "equinix smc",
                    "equinix noc",
                ],
            ),
            ProviderId::EuNetworks => p(
                "eunetworks",
                "noc@eunetworks.com",
                &["eunetworks.com"],
                &["eunetworks"],
            ),
            ProviderId::GlobalCloudXchange => p(
                "globalcloudxchange",
                "Gnoc@globalcloudxchange.com",
                &["globalcloudxchange.com", "gcxworld.com"],
                &["global cloud xchange", "gcxworld.com", "globalcloudxchange"],
            ),
            ProviderId::Google => p(
                "google",
                "noc-noreply@google.com",
                &["google.com"],
                &[
                    "google network maintenance notification",
                    "thank you for peering with google",
                    "google isp portal",
                ],
            ),
            ProviderId::Gtt => p(
                "gtt",
                "InfraCo.CM@exainfra.net",
                &["exainfra.net", "gttcorp.org", "gtt.net"],
                &[
                    "planned work notification:",
                    "exainfra.net",
                    "gttcorp.org",
                    "gtt network operations",
                    "exa network operations",
                ],
            ),
            ProviderId::Hgc => p(
                "hgc",
                "HGCINOCPW@hgc.com.hk",
                &["hgc.com.hk"],
                &[
                    "hgc global communications",
                    "hgc.com.hk",
                    "hgc maintenance work notification",
                ],
            ),
            ProviderId::Lumen => p(
                "lumen",
                "smc@lumen.com",
                &["lumen.com", "centurylink.com", "level3.com"],
                &[
                    "lumen customer portal",
                    "scheduled maintenance window #",
                    "scheduled maintenance #",
                    "lumen intends",
                    "my.level3.com",
                ],
            ),
            ProviderId::Megaport => p(
                "megaport",
                "support@megaport.com",
                &["megaport.com"],
                &["megaport", "the megaport team"],
            ),
            ProviderId::Momentum => p(
                "momentum",
                "maintenance@momentumtelecom.com",
                &["momentumtelecom.com"],
                &[
                    "momentumtelecom.com",
                    "momentum data services",
                    "momentum customer",
                    "momentum data support",
                ],
            ),
            ProviderId::Netflix => p(
                "netflix",
                "cdnetops@netflix.com",
                &["netflix.com"],
                &["netflix open connect", "netflix (as2906)"],
            ),
            ProviderId::Ntt => p(
                "ntt",
                "noc@us.ntt.net",
                &["ntt.net"],
                &["ntt communications", "ntt.net"],
            ),
            ProviderId::PacketFabric => p(
                "packetfabric",
                "support@packetfabric.com",
                &["packetfabric.com"],
                &["packetfabric"],
            ),
            ProviderId::Pccw => p(
                "pccw",
                "mailto:gsoc-planned-event@pccwglobal.com",
                &["pccwglobal.com"],
                &["pccw global", "pccwglobal.com", "rpo reference number"],
            ),
            ProviderId::Seaborn => p(
                "seaborn",
                "inoc@superonline.net",
                &["seabornnetworks.com", "superonline.net"],
                &["seaborn networks", "seabornnetworks.com", "seaborn ticket"],
            ),
            ProviderId::Sparkle => p(
                "sparkle",
                "TISAmericaNOC@tisparkle.com",
                &["tisparkle.com"],
                &["sparkle ticket number", "tisparkle.com", "ti sparkle"],
            ),
            ProviderId::Tata => p(
                "tata",
                "planned.activity@tatacommunications.com",
                &["tatacommunications.com"],
                &[
                    "tata communications",
                    "tatacommunications.com",
                    "ticket reference - tcl",
                ],
            ),
            ProviderId::Telstra => p(
                "telstra",
                "gpen@team.telstra.com",
                &["team.telstra.com", "telstra.com"],
                &[
                    "telstra connect",
                    "gpen@team.telstra.com",
                    "telstra wishes to apologise",
                ],
            ),
            ProviderId::Turkcell => p(
                "turkcell",
                "inoc@superonline.net",
                &["superonline.net", "turkcell.com.tr"],
                &["turkcell superonline", "inoc@superonline.net"],
            ),
            ProviderId::Verizon => p(
                "verizon",
                "NO-REPLY-sched-maint@EMEA.verizonbusiness.com",
                &["verizonbusiness.com", "verizon.com"],
                &[
                    "verizon maintenance notification",
                    "verizon mastars",
                    "dear verizon customer",
                    "verizonbusiness.com",
                ],
            ),
            ProviderId::Windstream => p(
                "windstream",
                "wci.maintenance.notifications@windstream.com",
                &["windstream.com"],
                &["windstream", "wmt:"],
            ),
            ProviderId::Zayo => p(
                "zayo",
                "mr@zayo.com",
                &["zayo.com"],
                &[
                    "zayo maintenance notification",
                    "mr@zayo.com",
                    "zayo global change management",
                    "zayo ttn-",
                ],
            ),
            ProviderId::SummitIg => p(
                "summitig",
                "outages@summitig.net",
                &["summitig.net"],
                &["summitig", "summit infrastructure group"],
            ),
            ProviderId::Retn => p(
                "retn",
                "no-reply@retn.net",
                &["retn.net"],
                &["retn.net ticket#", "retn noc"],
            ),
            ProviderId::Telxius => p(
                "telxius",
                "sworks@telxius.com",
                &["telxius.com"],
                &["telxius", "sworks@telxius.com"],
            ),
            ProviderId::Vodafone => p(
                "vodafone",
                "networkchangemanagement@vodafone.com",
                &["vodafone.com"],
                &[
                    "networkchangemanagement@vodafone.com",
                    "vodafone network change management",
                ],
            ),
            ProviderId::Cirion => p(
                "cirion",
                "customer-report@ciriontechnologies.com",
                &["ciriontechnologies.com"],
                &["cirion technologies", "ciriontechnologies.com"],
            ),
            ProviderId::Flag => p(
                "flag",
                "change@flagtel.com",
                &["flagtel.com"],
                &["change@flagtel.com", "flag telecom", "flag | "],
            ),
            ProviderId::Generic => p("genericprovider", "unknown", &[], &[]),
        }
    }
}
