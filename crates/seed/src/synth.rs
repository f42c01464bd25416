//! `itinera link synth`: a synthetic registry for the linkage benchmark. People of
//! Spanish, Italian, Latin American, Moroccan, Romanian and West African origin, with
//! valid DNI, NIE and codice fiscale numbers, households of relatives who share surnames,
//! address and phone, and duplicates made the way records really diverge between a
//! municipal social-services system, the employment service and an NGO's spreadsheet:
//! typos, nicknames, abbreviated compound names, one surname instead of two or in the
//! other order, transliterations, day and month swapped, a missing NIE letter, a move.
//! Deterministic for a seed. `person_id` is the truth and must not be used for linking.

use std::io::Write;

use itinera_domain::documents::{codice_fiscale_check, dni_letter};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const ES_F: &str = "María|Carmen|Ana|Isabel|Laura|Cristina|Marta|Lucía|Pilar|Dolores|Paula|Elena|Sara|Raquel|Rosa|Manuela|Mercedes|Rocío|Concepción|Julia|Beatriz|Silvia|Nuria|Patricia|Irene|Andrea|Inmaculada|Montserrat|Rosario|Encarnación|Alba|Teresa|Sonia|Sandra|Noelia|Alicia|Marina|Verónica|Eva|Ángela|Natalia|Claudia|Lorena|Esther|Guadalupe|Josefa|Francisca|Antonia|Remedios|Yolanda|Miriam|Susana|Nerea|Inés|Carla|Celia|Amparo|Consuelo|Purificación|Vanesa|María José|María del Carmen|María Dolores|María Teresa|Ana María|María Isabel|María Pilar|María Ángeles|Rosa María";
const ES_M: &str = "Antonio|José|Manuel|Francisco|David|Juan|Javier|Daniel|Carlos|Jesús|Alejandro|Miguel|Rafael|Pedro|Pablo|Ángel|Sergio|Fernando|Jorge|Luis|Alberto|Álvaro|Adrián|Rubén|Iván|Óscar|Diego|Enrique|Ramón|Vicente|Andrés|Joaquín|Santiago|Víctor|Eduardo|Mario|Roberto|Jaime|Ignacio|Marcos|Hugo|Alfonso|Guillermo|Salvador|Gabriel|Emilio|Julián|Agustín|Tomás|Gonzalo|Felipe|Mariano|Domingo|Raúl|Lorenzo|Nicolás|Ismael|Cristian|Samuel|José Antonio|Juan Carlos|Francisco Javier|José Manuel|José Luis|Juan José|Miguel Ángel|José María|Juan Antonio|Juan Manuel";
const ES_SURNAMES: &str = "García|Rodríguez|González|Fernández|López|Martínez|Sánchez|Pérez|Gómez|Martín|Jiménez|Hernández|Ruiz|Díaz|Moreno|Muñoz|Álvarez|Romero|Gutiérrez|Alonso|Navarro|Torres|Domínguez|Ramos|Vázquez|Ramírez|Gil|Serrano|Morales|Molina|Blanco|Suárez|Castro|Ortega|Delgado|Ortiz|Marín|Rubio|Núñez|Medina|Sanz|Castillo|Iglesias|Cortés|Garrido|Santos|Guerrero|Lozano|Cano|Cruz|Méndez|Flores|Prieto|Herrera|Peña|León|Márquez|Cabrera|Gallego|Calvo|Vidal|Campos|Reyes|Vega|Fuentes|Carrasco|Diez|Aguilar|Caballero|Nieto|Santana|Pascual|Herrero|Montero|Lorenzo|Hidalgo|Giménez|Ibáñez|Ferrer|Durán|Santiago|Vicente|Benítez|Mora|Arias|Vargas|Carmona|Crespo|Román|Pastor|Soto|Sáez|Velasco|Moya|Soler|Parra|Esteban|Bravo|Gallardo|Rojas|Pardo|Merino|Franco|Espinosa|Izquierdo|Lara|Rivas|Silva|Rivera|Casado|Arroyo|Redondo|Camacho|Rey|Vera|Otero|Luque|Galán|Montes|Ríos|Sierra|Segura|Carrillo|Marcos|Marti|Soriano|Mendoza|Robles|Bernal|Vila|Valero|Palacios|Benito|Exposito|Pozo|Andrés|Varela|Macías|Guerra|Contreras|Heredia|Roldán|Mogollón|Borrella|Merchán|Bermejo|Sayago|Tena|Barroso|Chamorro|Rosado|Gordillo|Cordero|Trejo|Sosa|Nogales|Píriz|Rebollo|Lavado|Ceballos|de la Cruz|del Pozo|de la Fuente|del Río|de los Santos";
const IT_F: &str = "Giulia|Francesca|Chiara|Sara|Valentina|Anna|Laura|Elena|Alessandra|Federica|Silvia|Martina|Paola|Roberta|Giuseppina|Rosa|Maria|Angela|Lucia|Elisabetta|Antonella|Giovanna|Teresa|Carmela|Patrizia";
const IT_M: &str = "Giuseppe|Giovanni|Antonio|Mario|Luigi|Francesco|Angelo|Vincenzo|Pietro|Salvatore|Carlo|Franco|Domenico|Bruno|Paolo|Michele|Giorgio|Alessandro|Marco|Andrea|Luca|Stefano|Roberto|Massimo|Filippo|Emanuele|Federico";
const IT_SURNAMES: &str = "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|Santoro|Mariani|Rinaldi|Caruso|Ferrara|Galli|Martini|Leone|Longo|Gentile|Martinelli|Vitale|Lombardo|Serra|Coppola|De Santis|D'Angelo|Marchetti|Parisi|Villa|Conte|Ferraro|Ferri|Fabbri|Bianco|Marini|Grasso|Valentini|Messina|Sala|De Angelis|Gatti|Pellegrini|Palumbo|Sanna|Farina|Rizzi|Monti|Cattaneo|Morelli|Amato|Silvestri|Mazza|Testa|Grassi|Pellegrino|Carbone|Giuliani|Benedetti|Barone|Rossetti|Caputo|Montanari|Guerra|Palmieri|Bernardi|Martino|Fiore|Di Stefano";
const MA_F: &str = "Fátima|Khadija|Aicha|Naima|Salma|Zineb|Malika|Hanane|Samira|Latifa|Nadia|Karima|Souad|Amina|Rachida|Meryem|Hafsa|Loubna";
const MA_M: &str = "Mohamed|Ahmed|Youssef|Said|Hamid|Karim|Mustapha|Abdelkader|Rachid|Hassan|Omar|Brahim|Driss|Abdellah|Khalid|Mehdi|Hicham|Nabil|Yassine|Ayoub";
const MA_SURNAMES: &str = "El Amrani|Benali|El Idrissi|Bennani|Alaoui|Tazi|El Fassi|Berrada|Chraibi|Ouazzani|El Mansouri|Bouzid|Haddad|Ziani|Belhaj|Amrani|Naciri|Lahlou|Cherkaoui|Kettani|El Khatib|Rami|Saidi|Tahiri|Hamdaoui|Ouali|Benjelloun|Fikri|Mernissi|Zerouali";
const RO_F: &str = "Elena|Ioana|Maria|Andreea|Alexandra|Mihaela|Cristina|Gabriela|Daniela|Raluca|Florentina|Georgiana|Roxana|Simona|Loredana";
const RO_M: &str = "Ion|Gheorghe|Constantin|Alexandru|Mihai|Andrei|Florin|Vasile|Nicolae|Marius|Adrian|Ionut|Daniel|Cristian|Stefan|Bogdan|Catalin|Dumitru";
const RO_SURNAMES: &str = "Popescu|Ionescu|Popa|Pop|Radu|Dumitru|Stoica|Stan|Gheorghe|Munteanu|Matei|Constantin|Rusu|Lungu|Mihai|Marin|Tudor|Dobre|Barbu|Nistor|Florea|Ene|Dinu|Moldovan|Toma|Ciobanu|Ilie|Cristea|Sandu|Oprea";
const WA_F: &str =
    "Aminata|Fatou|Mariama|Awa|Khady|Aissatou|Binta|Ndeye|Coumba|Adama|Oumou|Rokhaya";
const WA_M: &str = "Mamadou|Ousmane|Ibrahima|Moussa|Abdoulaye|Cheikh|Modou|Lamine|Babacar|Aliou|Seydou|Boubacar|Amadou|Issa|Souleymane";
const WA_SURNAMES: &str = "Diop|Ndiaye|Fall|Sow|Diallo|Ba|Sy|Faye|Gueye|Sarr|Cissé|Mbaye|Diouf|Camara|Touré|Traoré|Keita|Kane|Seck|Thiam|Ndao|Sylla";
const LA_F: &str = "María Fernanda|Daniela|Valentina|Gabriela|Camila|Yesenia|Lisbeth|Yuliana|Karen|Leidy|Marisol|Rosa|Carolina|Paola|Luz Marina|Ana Lucía";
const LA_M: &str = "Jhon|Luis Fernando|Carlos Andrés|Juan Pablo|Wilson|Edwin|Jhonatan|Cristian|Diego|Andrés Felipe|Wilmer|Brayan|Jorge Luis|Kevin";

/// (postcode, municipality): the seven CRISOL cities and their neighbours, Italian
/// cities for the Italian-born, and a tail of small towns so that postcodes vary.
const PLACES: &[(&str, &str)] = &[
    ("06001", "Badajoz"),
    ("06002", "Badajoz"),
    ("06003", "Badajoz"),
    ("06004", "Badajoz"),
    ("06005", "Badajoz"),
    ("06006", "Badajoz"),
    ("06007", "Badajoz"),
    ("06008", "Badajoz"),
    ("06009", "Badajoz"),
    ("06010", "Badajoz"),
    ("06011", "Badajoz"),
    ("06080", "Badajoz"),
    ("10001", "Cáceres"),
    ("10002", "Cáceres"),
    ("10003", "Cáceres"),
    ("10004", "Cáceres"),
    ("10005", "Cáceres"),
    ("06800", "Mérida"),
    ("06810", "Mérida"),
    ("06803", "Mérida"),
    ("06806", "Mérida"),
    ("10600", "Plasencia"),
    ("10610", "Plasencia"),
    ("06400", "Don Benito"),
    ("06410", "Don Benito"),
    ("06700", "Villanueva de la Serena"),
    ("06710", "Villanueva de la Serena"),
    ("06200", "Almendralejo"),
    ("06210", "Almendralejo"),
    ("06300", "Zafra"),
    ("06360", "Fuente de Cantos"),
    ("06100", "Olivenza"),
    ("06500", "San Vicente de Alcántara"),
    ("06900", "Llerena"),
    ("06920", "Azuaga"),
    ("06600", "Cabeza del Buey"),
    ("06170", "Talavera la Real"),
    ("06180", "Montijo"),
    ("06480", "Montijo"),
    ("06230", "Los Santos de Maimona"),
    ("06270", "Monesterio"),
    ("06290", "Usagre"),
    ("06380", "Jerez de los Caballeros"),
    ("06450", "Quintana de la Serena"),
    ("06460", "Campanario"),
    ("06730", "Acedera"),
    ("06760", "Navalvillar de Pela"),
    ("06830", "La Zarza"),
    ("06850", "Arroyo de San Serván"),
    ("06880", "Guareña"),
    ("06940", "Ahillones"),
    ("06950", "Berlanga"),
    ("10100", "Miajadas"),
    ("10200", "Trujillo"),
    ("10300", "Navalmoral de la Mata"),
    ("10400", "Jaraíz de la Vera"),
    ("10500", "Valencia de Alcántara"),
    ("10700", "Hervás"),
    ("10800", "Coria"),
    ("10840", "Moraleja"),
    ("10900", "Arroyo de la Luz"),
    ("10910", "Malpartida de Cáceres"),
    ("10160", "Alcuéscar"),
    ("10170", "Montánchez"),
    ("10120", "Logrosán"),
    ("10140", "Guadalupe"),
    ("10250", "Madroñera"),
    ("10350", "Almaraz"),
    ("10430", "Cuacos de Yuste"),
    ("10470", "Villanueva de la Vera"),
    ("10520", "Santiago de Alcántara"),
    ("10630", "Cabezuela del Valle"),
    ("10650", "Ahigal"),
    ("10680", "Malpartida de Plasencia"),
    ("10730", "Aldeanueva del Camino"),
    ("10750", "Zarza de Granadilla"),
    ("10810", "Montehermoso"),
    ("10820", "Torrejoncillo"),
    ("10850", "Hoyos"),
    ("10880", "Zarza la Mayor"),
    ("00185", "Roma"),
    ("20121", "Milano"),
    ("80133", "Napoli"),
    ("10121", "Torino"),
    ("26100", "Cremona"),
    ("90133", "Palermo"),
];

const STREETS: &str = "Mayor|Real|San Francisco|Santa María|Menacho|José Moreno|Pedro de Valdivia|Zurbarán|Castelar|Hernán Cortés|Los Rosales|Las Acacias|Extremadura|Portugal|Andalucía|Valencia|Madrid|Juan Carlos I|Constitución|Libertad|Felipe Trigo|San Juan|San Roque|Santiago|Cervantes|Calvario|Olivo|Huertas|Palacio|Alfonso X|Antonio Machado|García Lorca|Ronda Norte|Ronda Sur|del Agua|de la Paz|de las Flores|Sevilla|Nueva|Ancha|Virgen de Guadalupe|Ramón y Cajal|Santa Marina|Los Pinos|La Legua|Colón|Pizarro|Vasco Núñez";
const STREET_KINDS: &[&str] = &[
    "Calle",
    "Calle",
    "Calle",
    "Avenida",
    "Plaza",
    "Paseo",
    "Carretera",
];
const IT_COMUNI: &[&str] = &["H501", "F205", "F839", "L219", "D150", "G273"];

fn list(s: &'static str) -> Vec<&'static str> {
    s.split('|').collect()
}

/// Picks from a list with a mild Zipf skew: the first entries are the common names.
fn skewed<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    let n = items.len();
    let weights_total: f64 = (0..n).map(|r| 1.0 / (r as f64 + 8.0)).sum();
    let mut x = rng.gen::<f64>() * weights_total;
    for (r, item) in items.iter().enumerate() {
        x -= 1.0 / (r as f64 + 8.0);
        if x <= 0.0 {
            return item;
        }
    }
    items.last().copied().unwrap_or_default()
}

#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Spain,
    Italy,
    LatinAmerica,
    Morocco,
    Romania,
    WestAfrica,
}

#[derive(Clone)]
struct Person {
    origin: Origin,
    given: String,
    surname1: String,
    surname2: Option<String>,
    woman: bool,
    birth: (u32, u32, u32),
    document: String,
    place: usize,
    address: String,
    phone: Option<String>,
    email: Option<String>,
}

struct Lists {
    es_f: Vec<&'static str>,
    es_m: Vec<&'static str>,
    es_s: Vec<&'static str>,
    it_f: Vec<&'static str>,
    it_m: Vec<&'static str>,
    it_s: Vec<&'static str>,
    ma_f: Vec<&'static str>,
    ma_m: Vec<&'static str>,
    ma_s: Vec<&'static str>,
    ro_f: Vec<&'static str>,
    ro_m: Vec<&'static str>,
    ro_s: Vec<&'static str>,
    wa_f: Vec<&'static str>,
    wa_m: Vec<&'static str>,
    wa_s: Vec<&'static str>,
    la_f: Vec<&'static str>,
    la_m: Vec<&'static str>,
    streets: Vec<&'static str>,
}

impl Lists {
    fn new() -> Self {
        Lists {
            es_f: list(ES_F),
            es_m: list(ES_M),
            es_s: list(ES_SURNAMES),
            it_f: list(IT_F),
            it_m: list(IT_M),
            it_s: list(IT_SURNAMES),
            ma_f: list(MA_F),
            ma_m: list(MA_M),
            ma_s: list(MA_SURNAMES),
            ro_f: list(RO_F),
            ro_m: list(RO_M),
            ro_s: list(RO_SURNAMES),
            wa_f: list(WA_F),
            wa_m: list(WA_M),
            wa_s: list(WA_SURNAMES),
            la_f: list(LA_F),
            la_m: list(LA_M),
            streets: list(STREETS),
        }
    }
}

fn dni(rng: &mut ChaCha8Rng) -> String {
    let n: u32 = rng.gen_range(1_000_000..99_999_999);
    format!("{n:08}{}", dni_letter(n))
}

fn nie(rng: &mut ChaCha8Rng) -> String {
    let prefix = rng.gen_range(0..3u32);
    let n: u32 = rng.gen_range(0..10_000_000);
    let letter = dni_letter(prefix * 10_000_000 + n);
    format!("{}{n:07}{letter}", nth(&['X', 'Y', 'Z'], prefix as usize))
}

fn consonants_vowels(s: &str) -> (Vec<u8>, Vec<u8>) {
    let folded = itinera_domain::text::fold(s).to_uppercase();
    let mut c = Vec::new();
    let mut v = Vec::new();
    for b in folded.bytes().filter(u8::is_ascii_alphabetic) {
        if b"AEIOU".contains(&b) {
            v.push(b);
        } else {
            c.push(b);
        }
    }
    (c, v)
}

fn cf_part(s: &str, given: bool) -> String {
    let (c, v) = consonants_vowels(s);
    let mut out: Vec<u8> = if let (true, [first, _, third, fourth, ..]) = (given, c.as_slice()) {
        vec![*first, *third, *fourth]
    } else {
        c.iter().chain(v.iter()).copied().take(3).collect()
    };
    while out.len() < 3 {
        out.push(b'X');
    }
    String::from_utf8(out).unwrap_or_default()
}

fn codice_fiscale(rng: &mut ChaCha8Rng, p: &Person) -> String {
    let months = b"ABCDEHLMPRST";
    let (y, m, d) = p.birth;
    let day = if p.woman { d + 40 } else { d };
    let comune = nth(IT_COMUNI, rng.gen_range(0..IT_COMUNI.len()));
    let first15 = format!(
        "{}{}{:02}{}{:02}{}",
        cf_part(&p.surname1, false),
        cf_part(&p.given, true),
        y % 100,
        nth(months, (m - 1) as usize) as char,
        day,
        comune
    );
    let check = codice_fiscale_check(first15.as_bytes()).unwrap_or(b'X') as char;
    format!("{first15}{check}")
}

fn new_person(rng: &mut ChaCha8Rng, l: &Lists) -> Person {
    let r: f64 = rng.gen();
    let origin = match r {
        x if x < 0.68 => Origin::Spain,
        x if x < 0.76 => Origin::Italy,
        x if x < 0.83 => Origin::LatinAmerica,
        x if x < 0.91 => Origin::Morocco,
        x if x < 0.96 => Origin::Romania,
        _ => Origin::WestAfrica,
    };
    let woman = rng.gen_bool(0.52);
    let (given, s1, s2) = match origin {
        Origin::Spain => (
            skewed(rng, if woman { &l.es_f } else { &l.es_m }),
            skewed(rng, &l.es_s),
            Some(skewed(rng, &l.es_s)),
        ),
        Origin::LatinAmerica => (
            if rng.gen_bool(0.5) {
                skewed(rng, if woman { &l.la_f } else { &l.la_m })
            } else {
                skewed(rng, if woman { &l.es_f } else { &l.es_m })
            },
            skewed(rng, &l.es_s),
            Some(skewed(rng, &l.es_s)),
        ),
        Origin::Italy => (
            skewed(rng, if woman { &l.it_f } else { &l.it_m }),
            skewed(rng, &l.it_s),
            None,
        ),
        Origin::Morocco => (
            skewed(rng, if woman { &l.ma_f } else { &l.ma_m }),
            skewed(rng, &l.ma_s),
            None,
        ),
        Origin::Romania => (
            skewed(rng, if woman { &l.ro_f } else { &l.ro_m }),
            skewed(rng, &l.ro_s),
            None,
        ),
        Origin::WestAfrica => (
            skewed(rng, if woman { &l.wa_f } else { &l.wa_m }),
            skewed(rng, &l.wa_s),
            None,
        ),
    };
    let birth = (
        rng.gen_range(1950..2008),
        rng.gen_range(1..13),
        rng.gen_range(1..29),
    );
    let place = if origin == Origin::Italy && rng.gen_bool(0.3) {
        PLACES.len() - 1 - rng.gen_range(0..6)
    } else {
        // Most people live in the seven cities; the rest spread over the towns.
        let cities = 29;
        if rng.gen_bool(0.7) {
            rng.gen_range(0..cities)
        } else {
            rng.gen_range(cities..PLACES.len() - 6)
        }
    };
    let mut p = Person {
        origin,
        given: given.to_string(),
        surname1: s1.to_string(),
        surname2: s2.map(str::to_string),
        woman,
        birth,
        document: String::new(),
        place,
        address: new_address(rng, l),
        phone: rng
            .gen_bool(0.8)
            .then(|| format!("6{:08}", rng.gen_range(0..100_000_000u32))),
        email: None,
    };
    p.email = rng.gen_bool(0.5).then(|| email(rng, &p));
    p.document = match origin {
        Origin::Spain => dni(rng),
        Origin::Italy => codice_fiscale(rng, &p),
        _ if rng.gen_bool(0.15) => dni(rng),
        _ => nie(rng),
    };
    p
}

fn new_address(rng: &mut ChaCha8Rng, l: &Lists) -> String {
    format!(
        "{} {} {}",
        nth(STREET_KINDS, rng.gen_range(0..STREET_KINDS.len())),
        skewed(rng, &l.streets),
        rng.gen_range(1..120)
    )
}

fn email(rng: &mut ChaCha8Rng, p: &Person) -> String {
    let user = itinera_domain::text::fold(&format!("{}.{}", p.given, p.surname1)).replace(' ', "");
    let domain = nth(
        &[
            "gmail.com",
            "hotmail.com",
            "yahoo.es",
            "outlook.es",
            "telefonica.net",
        ],
        rng.gen_range(0..5),
    );
    format!("{user}{}@{domain}", rng.gen_range(1..999))
}

/// A relative sharing the household: the same surnames (a sibling) or the first one
/// (a child), address, postcode and phone; a different name, date and document.
fn relative(rng: &mut ChaCha8Rng, l: &Lists, of: &Person) -> Person {
    let mut p = new_person(rng, l);
    while p.origin != of.origin {
        p = new_person(rng, l);
    }
    p.surname1 = of.surname1.clone();
    if rng.gen_bool(0.6) {
        p.surname2 = of.surname2.clone();
    }
    p.place = of.place;
    p.address = of.address.clone();
    p.phone = of.phone.clone();
    if p.origin == Origin::Italy {
        p.document = codice_fiscale(rng, &p);
    }
    p
}

fn typo(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 3 {
        return s.to_string();
    }
    let i = rng.gen_range(1..chars.len());
    match rng.gen_range(0..4) {
        0 => {
            let typed = (b'a' + rng.gen_range(0..26u8)) as char;
            if let Some(c) = chars.get_mut(i) {
                *c = typed;
            }
        }
        1 => {
            chars.remove(i);
        }
        2 => {
            let doubled = chars.get(i).copied().unwrap_or(' ');
            chars.insert(i, doubled);
        }
        _ => chars.swap(i - 1, i),
    }
    chars.into_iter().collect()
}

fn digit_typo(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut b: Vec<u8> = s.bytes().collect();
    let digits: Vec<usize> = b
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    if digits.len() < 2 {
        return s.to_string();
    }
    let k = nth(&digits, rng.gen_range(0..digits.len()));
    if rng.gen_bool(0.5) && b.get(k + 1).is_some_and(u8::is_ascii_digit) {
        b.swap(k, k + 1);
    } else {
        let typed = b'0' + rng.gen_range(0..10u8);
        if let Some(c) = b.get_mut(k) {
            *c = typed;
        }
    }
    String::from_utf8(b).unwrap_or_else(|_| s.to_string())
}

const NICKS: &[(&str, &str)] = &[
    ("José", "Pepe"),
    ("Francisco", "Paco"),
    ("Manuel", "Manolo"),
    ("Dolores", "Lola"),
    ("Concepción", "Concha"),
    ("Ignacio", "Nacho"),
    ("Antonio", "Toni"),
    ("Jesús", "Chus"),
    ("Mercedes", "Merche"),
    ("Rosario", "Charo"),
    ("Guadalupe", "Lupe"),
    ("Enrique", "Quique"),
    ("María José", "M.ª José"),
    ("María Dolores", "M.ª Dolores"),
    ("María del Carmen", "Mª del Carmen"),
    ("María Teresa", "Maite"),
    ("José María", "Chema"),
    ("Juan Manuel", "Juanma"),
    ("Francisco Javier", "Fco. Javier"),
    ("Giuseppe", "Peppe"),
    ("Giovanni", "Gianni"),
    ("Salvatore", "Totò"),
    ("Alessandro", "Sandro"),
    ("Vincenzo", "Enzo"),
    ("Filippo", "Pippo"),
    ("Mohamed", "Mohammed"),
    ("Mohamed", "Muhammad"),
    ("Youssef", "Yousef"),
    ("Youssef", "Yusuf"),
    ("Fátima", "Fatima"),
    ("Said", "Saïd"),
    ("Mustapha", "Mustafa"),
    ("Abdelkader", "Abdel Kader"),
    ("Jhon", "John"),
    ("Jhonatan", "Jonathan"),
    ("Brayan", "Bryan"),
    ("Ionut", "Ionuț"),
    ("Stefan", "Ștefan"),
];

/// How a record of `p` looks in another service's system.
fn variant(rng: &mut ChaCha8Rng, l: &Lists, p: &Person) -> Vec<String> {
    let mut given = p.given.clone();
    if rng.gen_bool(0.12) {
        let options: Vec<&str> = NICKS
            .iter()
            .filter(|(formal, _)| *formal == p.given)
            .map(|(_, nick)| *nick)
            .collect();
        if let Some(n) = options.choose(rng) {
            given = (*n).to_string();
        }
    }
    if given.contains(' ') && rng.gen_bool(0.08) {
        given = given.split(' ').next().unwrap_or(&given).to_string();
    }
    if rng.gen_bool(0.08) {
        given = typo(rng, &given);
    }
    let mut s1 = p.surname1.clone();
    let mut s2 = p.surname2.clone();
    if rng.gen_bool(0.08) {
        s1 = typo(rng, &s1);
    }
    if let Some(second) = &s2 {
        if rng.gen_bool(0.05) {
            s2 = Some(typo(rng, second));
        }
    }
    let surname = match &s2 {
        Some(_) if rng.gen_bool(0.1) => s1.clone(),
        Some(second) if rng.gen_bool(0.03) => format!("{second} {s1}"),
        Some(second) => format!("{s1} {second}"),
        None => s1.clone(),
    };
    let (mut y, mut m, mut d) = p.birth;
    if d <= 12 && rng.gen_bool(0.04) {
        std::mem::swap(&mut m, &mut d);
    }
    let mut birth = if rng.gen_bool(0.5) {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("{d:02}/{m:02}/{y:04}")
    };
    if rng.gen_bool(0.04) {
        birth = digit_typo(rng, &birth);
    }
    if rng.gen_bool(0.03) {
        birth.clear();
        y = 0;
    }
    let _ = y;
    let mut document = p.document.clone();
    if rng.gen_bool(0.06) {
        document.clear();
    } else if rng.gen_bool(0.05) {
        document = digit_typo(rng, &document);
    } else if document.len() == 9 && rng.gen_bool(0.04) {
        document.pop();
    } else if rng.gen_bool(0.1) {
        document = document.to_lowercase();
    }
    let mut place = p.place;
    let mut address = p.address.clone();
    if rng.gen_bool(0.12) {
        place = rng.gen_range(0..PLACES.len());
        address = new_address(rng, l);
    } else if rng.gen_bool(0.15) {
        address = address
            .replace("Calle ", "C/ ")
            .replace("Avenida ", "Avda. ")
            .replace("Plaza ", "Pza. ");
    } else if rng.gen_bool(0.05) {
        address = typo(rng, &address);
    }
    let (postcode, municipality) = nth(PLACES, place);
    let mut municipality = municipality.to_string();
    if rng.gen_bool(0.1) {
        municipality = municipality.to_uppercase();
    }
    let phone = match &p.phone {
        Some(ph) if rng.gen_bool(0.75) => {
            if rng.gen_bool(0.2) {
                format!("+34 {} {} {}", &ph[..3], &ph[3..6], &ph[6..])
            } else if rng.gen_bool(0.05) {
                digit_typo(rng, ph)
            } else {
                ph.clone()
            }
        }
        _ => String::new(),
    };
    let email = match &p.email {
        Some(e) if rng.gen_bool(0.6) => {
            if rng.gen_bool(0.05) {
                typo(rng, e)
            } else {
                e.clone()
            }
        }
        _ => String::new(),
    };
    let sex = if rng.gen_bool(0.02) {
        String::new()
    } else if p.woman {
        nth(&["M", "F", "Mujer"], rng.gen_range(0..3)).to_string()
    } else {
        nth(&["H", "M", "Hombre"], rng.gen_range(0..3)).to_string()
    };
    // "M" means mujer in one system and male in another: keep each system consistent.
    let sex = match sex.as_str() {
        "M" if p.woman => "Mujer".to_string(),
        "M" => "H".to_string(),
        _ => sex,
    };
    let mut case = |s: String| {
        if rng.gen_bool(0.2) {
            s.to_uppercase()
        } else {
            s
        }
    };
    vec![
        case(given),
        case(surname),
        sex,
        birth,
        document,
        postcode.to_string(),
        municipality,
        address,
        phone,
        email,
    ]
}

/// Writes `rows` records (header `rec_id,person_id,given_name,surname,sex,birth_date,
/// document,postcode,municipality,address,phone,email`) in a shuffled order.
pub fn write(out: &mut dyn Write, rows: usize, seed: u64) -> Result<usize, csv::Error> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let lists = Lists::new();
    let mut records: Vec<(u32, Vec<String>)> = Vec::with_capacity(rows);
    let mut persons = 0u32;
    let mut last: Option<Person> = None;
    while records.len() < rows {
        let p = match &last {
            Some(prev) if rng.gen_bool(0.12) => relative(&mut rng, &lists, prev),
            _ => new_person(&mut rng, &lists),
        };
        let copies = match rng.gen::<f64>() {
            x if x < 0.55 => 1,
            x if x < 0.80 => 2,
            x if x < 0.92 => 3,
            x if x < 0.97 => 4,
            _ => 5,
        };
        for _ in 0..copies {
            if records.len() < rows {
                records.push((persons, variant(&mut rng, &lists, &p)));
            }
        }
        persons += 1;
        last = Some(p);
    }
    records.shuffle(&mut rng);
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "rec_id",
        "person_id",
        "given_name",
        "surname",
        "sex",
        "birth_date",
        "document",
        "postcode",
        "municipality",
        "address",
        "phone",
        "email",
    ])?;
    for (k, (person, values)) in records.iter().enumerate() {
        let mut row = vec![format!("r{k}"), format!("p{person}")];
        row.extend(values.iter().cloned());
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(persons as usize)
}

/// `xs[i]`; the generator's lists are never empty, so the default is never used.
fn nth<T: Copy + Default>(xs: &[T], i: usize) -> T {
    xs.get(i).copied().unwrap_or_default()
}
