//! Peak memory of the parser on hostile mails, every one at most the 10 MiB a mail may be: each is
//! generated here, written to a temporary folder and parsed by `clinic maintenance parse` in a child
//! process, whose peak resident set (wait4's ru_maxrss) must stay at or under 128 MiB. The bound is a
//! number, not a timing: the test passes or fails the same way on a loaded machine.
//!
//! `CLINIC_MEMORY_BIN=/path/to/clinic` measures another build (an older one, to compare) and
//! `CLINIC_MEMORY_REPORT=1` only prints the figures without holding them to the bound.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;

/// The function has 256 MB; the parser of one mail must fit in half of it.
const BOUND_KIB: i64 = 128 * 1024;
const MAIL_MAX: usize = 10 * 1024 * 1024;

/// One hostile mail, and the limit its review reason must name (`None`: it is within every limit).
struct Hostile {
    name: &'static str,
    mail: Vec<u8>,
    limit: Option<&'static str>,
}

fn header(from: &str, subject: &str) -> String {
    format!(
        "From: NOC <{from}>\r\nTo: maintenance@clinic.example.org\r\nSubject: {subject}\r\n\
         Date: Tue, 01 Jun 2027 10:00:00 +0000\r\nMessage-ID: <hostile@clinic.example.org>\r\nMIME-Version: 1.0\r\n"
    )
}

/// A mail with a short text body and one base64 attachment.
fn with_attachment(from: &str, content_type: &str, filename: &str, bytes: &[u8]) -> Vec<u8> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut mail = header(from, "Planned maintenance");
    mail.push_str(
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n\
         Content-Type: text/plain\r\n\r\nEvent ID: 1\r\nStart Time: 06/01/2027 10:00 UTC\r\n--outer\r\n",
    );
    mail.push_str(&format!(
        "Content-Type: {content_type}; name=\"{filename}\"\r\nContent-Disposition: attachment; \
         filename=\"{filename}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ));
    let mut out = mail.into_bytes();
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"--outer--\r\n");
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A zip entry: its name, method (0 stored, 8 deflated), data as stored, CRC and declared size.
struct Entry {
    name: &'static str,
    method: u16,
    data: Vec<u8>,
    crc: u32,
    size: u32,
}

fn stored(name: &'static str, text: &str) -> Entry {
    Entry {
        name,
        method: 0,
        data: text.as_bytes().to_vec(),
        crc: crc32(text.as_bytes()),
        size: text.len() as u32,
    }
}

/// A zip file written by hand (local headers, central directory, end record).
fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&e.method.to_le_bytes());
            v.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            v.extend_from_slice(&e.crc.to_le_bytes());
            v.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            v.extend_from_slice(&e.size.to_le_bytes());
            v.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04\x14\x00");
        common(&mut out);
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.data);
        directory.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00");
        common(&mut directory);
        directory.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        directory.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(e.name.as_bytes());
    }
    let directory_at = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A workbook of one sheet, with `extra` entries (shared strings) beside it.
fn xlsx(sheet: &str, extra: Vec<Entry>) -> Vec<u8> {
    let mut entries = vec![
        stored(
            "[Content_Types].xml",
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>",
        ),
        stored(
            "_rels/.rels",
            &format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        stored(
            "xl/workbook.xml",
            &format!(
                "<?xml version=\"1.0\"?><workbook xmlns=\"{NS}\" xmlns:r=\"{REL}\"><sheets>\
             <sheet name=\"Circuits\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        stored(
            "xl/_rels/workbook.xml.rels",
            &format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
             <Relationship Id=\"rId2\" Type=\"{REL}/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>"
            ),
        ),
        stored(
            "xl/worksheets/sheet1.xml",
            &format!("<?xml version=\"1.0\"?><worksheet xmlns=\"{NS}\">{sheet}</worksheet>"),
        ),
    ];
    entries.extend(extra);
    zip(&entries)
}

/// Deflate (fixed Huffman codes) of `head`, then `repeat` bytes of 'a', then `tail`: each 258 repeated
/// bytes cost 13 bits, so hundreds of megabytes fit in a few.
fn deflate_bomb(head: &[u8], repeat: usize, tail: &[u8]) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u32, len: u32) {
            for i in (0..len).rev() {
                self.put(u64::from((code >> i) & 1), 1);
            }
        }
        fn literal(&mut self, b: u8) {
            if b < 144 {
                self.code(0x30 + u32::from(b), 8);
            } else {
                self.code(0x190 + u32::from(b) - 144, 9);
            }
        }
    }
    let mut bits = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // final block
    bits.put(1, 2); // fixed codes
    head.iter().for_each(|&b| bits.literal(b));
    bits.literal(b'a');
    let mut left = repeat - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length 258
        bits.code(0, 5); // distance 1
        left -= 258;
    }
    (0..left).for_each(|_| bits.literal(b'a'));
    tail.iter().for_each(|&b| bits.literal(b));
    bits.code(0, 7); // end of block
    bits.put(0, 7);
    bits.out
}

fn bomb_xlsx(declared: Option<u32>) -> Vec<u8> {
    const INFLATED: usize = 400 * 1024 * 1024;
    let head =
        format!("<?xml version=\"1.0\"?><sst xmlns=\"{NS}\" count=\"1\" uniqueCount=\"1\"><si><t>");
    let tail = "</t></si></sst>";
    let strings = Entry {
        name: "xl/sharedStrings.xml",
        method: 8,
        data: deflate_bomb(head.as_bytes(), INFLATED, tail.as_bytes()),
        crc: 0,
        size: declared.unwrap_or((head.len() + INFLATED + tail.len()) as u32),
    };
    let sheet = "<sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData>";
    xlsx(sheet, vec![strings])
}

/// A mail grown to just under the size limit by repeating `unit` after `head`.
fn filled(head: &str, unit: &str, tail: &str) -> Vec<u8> {
    let room = MAIL_MAX - head.len() - tail.len() - 64;
    let mut mail = head.to_owned();
    mail.push_str(&unit.repeat(room / unit.len()));
    mail.push_str(tail);
    mail.into_bytes()
}

/// An HTML table of `cells` cells, each `width` bytes of markup and text, in one HTML body.
fn html_table(from: &str, cells: usize, width: usize) -> Vec<u8> {
    let text = "x".repeat(width.saturating_sub(9).max(1));
    let mut mail = format!(
        "{}Content-Type: text/html\r\n\r\n<table>",
        header(from, "table")
    );
    for row in 0..cells / 4 {
        mail.push_str(&format!("<tr><td>{row}</td>"));
        for _ in 1..4 {
            mail.push_str(&format!("<td>{text}</td>"));
        }
        mail.push_str("</tr>");
    }
    mail.push_str("</table>\r\n");
    mail.into_bytes()
}

fn hostile_mails() -> Vec<Hostile> {
    let att = "g31654@att.com";
    let far_cell = "<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Customer</t></is></c></row>\
                    <row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row></sheetData>";
    let declared = format!("<dimension ref=\"A1:XFD1048576\"/>{far_cell}");
    // 10 MiB of base64 at most: 7.5 MiB decoded.
    let base64_room = (MAIL_MAX - 2048) / 78 * 57;
    let lines = "a\n".repeat(base64_room / 2);
    let empty_cells = format!("{}\r\n", ",".repeat(999)).repeat(1000);
    vec![
        Hostile {
            name: "XLSX sheet with cells A1 and XFD1048576",
            mail: with_attachment(
                att,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "c.xlsx",
                &xlsx(far_cell, vec![]),
            ),
            limit: Some("number of rows of an XLSX sheet"),
        },
        Hostile {
            name: "XLSX sheet declaring A1:XFD1048576",
            mail: with_attachment(
                att,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "c.xlsx",
                &xlsx(&declared, vec![]),
            ),
            limit: Some("number of rows of an XLSX sheet"),
        },
        Hostile {
            name: "XLSX deflate bomb (400 MiB shared strings, declared)",
            mail: with_attachment(
                att,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "c.xlsx",
                &bomb_xlsx(None),
            ),
            limit: Some("uncompressed size of an entry"),
        },
        Hostile {
            name: "XLSX deflate bomb (400 MiB shared strings, declared as 1 KB)",
            mail: with_attachment(
                att,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "c.xlsx",
                &bomb_xlsx(Some(1000)),
            ),
            // The zip crate stops inflating at the declared size: the cut XML is no workbook, and the
            // inflating check's cap stands behind it anyway.
            limit: None,
        },
        Hostile {
            name: "deflate bomb as a .zip attachment",
            mail: with_attachment(att, "application/zip", "c.zip", &bomb_xlsx(None)),
            limit: None,
        },
        Hostile {
            name: "message/rfc822 nested 300,000 deep",
            mail: filled(
                &header(att, "deep"),
                "Content-Type: message/rfc822\r\n\r\n",
                "x\r\n",
            ),
            limit: Some("MIME nesting depth"),
        },
        Hostile {
            name: "multipart nested 160,000 deep",
            mail: {
                let mut mail = header(att, "deep");
                let mut level = 0;
                while mail.len() < MAIL_MAX - 128 {
                    mail.push_str(&format!(
                        "Content-Type: multipart/mixed; boundary=\"{level}\"\r\n\r\n--{level}\r\n"
                    ));
                    level += 1;
                }
                mail.into_bytes()
            },
            limit: Some("MIME nesting depth"),
        },
        Hostile {
            name: "one million MIME parts",
            mail: filled(
                &format!(
                    "{}Content-Type: multipart/mixed; boundary=b\r\n\r\n",
                    header(att, "parts")
                ),
                "--b\r\n\r\nx\r\n",
                "--b--\r\n",
            ),
            limit: Some("MIME part count"),
        },
        Hostile {
            name: "10 MiB To: header of addresses",
            mail: filled(
                "From: NOC <g31654@att.com>\r\nSubject: many\r\nTo: ",
                "a@b.example, ",
                "c@d.example\r\n\r\nbody\r\n",
            ),
            limit: Some("size of all header sections"),
        },
        Hostile {
            name: "10 MiB base64 text attachment of empty lines",
            mail: with_attachment(att, "text/plain", "notes.txt", lines.as_bytes()),
            limit: Some("number of lines and tab-separated cells"),
        },
        Hostile {
            name: "10 MiB base64 binary attachment",
            mail: with_attachment(
                att,
                "application/pdf",
                "notes.pdf",
                &vec![0x5a; base64_room],
            ),
            limit: None,
        },
        Hostile {
            name: "10 MiB HTML table",
            mail: filled(
                &format!(
                    "{}Content-Type: text/html\r\n\r\n<table><tr>",
                    header(att, "table")
                ),
                "<td>x</td>",
                "</tr></table>\r\n",
            ),
            limit: Some("size of an HTML body"),
        },
        Hostile {
            name: "3.7 MiB HTML table of 300,000 cells",
            mail: html_table(att, 300_000, 10),
            limit: Some("number of tags in an HTML body"),
        },
        Hostile {
            name: "3 MiB HTML table of 38,000 cells (within the limits)",
            mail: html_table(att, 38_000, 80),
            limit: None,
        },
        Hostile {
            name: "plain text of 190,000 lines (within the limits)",
            mail: format!(
                "{}Content-Type: text/plain\r\n\r\n{}",
                header(att, "lines"),
                "a\n".repeat(190_000)
            )
            .into_bytes(),
            limit: None,
        },
        Hostile {
            name: "CSV of one million empty cells",
            mail: with_attachment(
                "PlannedWorks@colt.net",
                "text/csv",
                "services.csv",
                empty_cells.as_bytes(),
            ),
            limit: Some("number of columns of a CSV attachment"),
        },
    ]
}

struct Measured {
    peak_kib: i64,
    exit: String,
    reason: String,
}

/// Set in a fresh copy of this test binary that only starts `clinic` and reports its peak RSS: a child
/// inherits the peak RSS of the process it was forked from (Linux keeps it across exec), and this
/// test's own process has held the hostile mails, so the measuring parent must be a small one.
const MEASURER: &str = "CLINIC_MEMORY_MEASURE";

/// Measures in a fresh copy of this binary (see [`MEASURER`]).
fn measure_from_fresh_process(bin: &Path, file: &Path, stderr_file: &Path) -> Measured {
    let output = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "--exact",
            "measurer_started_by_the_memory_test",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            MEASURER,
            format!(
                "{}\n{}\n{}",
                bin.display(),
                file.display(),
                stderr_file.display()
            ),
        )
        .stdin(Stdio::null())
        .output()
        .expect("start the measurer");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("MEASURED ").map(|(_, figure)| figure))
        .unwrap_or_else(|| panic!("the measurer printed no figure: {stdout}"));
    let (kib, exit) = line.split_once(' ').expect("kib and exit");
    Measured {
        peak_kib: kib.parse().expect("a number of KiB"),
        exit: exit.to_owned(),
        reason: std::fs::read_to_string(stderr_file)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
    }
}

/// Passes at once unless started by [`measure_from_fresh_process`].
#[test]
fn measurer_started_by_the_memory_test() {
    let Ok(job) = std::env::var(MEASURER) else {
        return;
    };
    let mut paths = job.lines().map(PathBuf::from);
    let (Some(bin), Some(file), Some(stderr)) = (paths.next(), paths.next(), paths.next()) else {
        panic!("{MEASURER} must name the binary, the mail and the stderr file");
    };
    let m = measure(&bin, &file, &stderr);
    println!("MEASURED {} {}", m.peak_kib, m.exit);
}

/// Runs `clinic maintenance parse file` and reads the child's own peak RSS from wait4.
fn measure(bin: &Path, file: &Path, stderr_file: &Path) -> Measured {
    let stderr = std::fs::File::create(stderr_file).expect("stderr file");
    let mut command = Command::new(bin);
    command
        .args(["maintenance", "parse"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    // A safety net for measuring older builds: 8 GiB of address space, far above the bound.
    unsafe {
        command.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: 8 << 30,
                rlim_max: 8 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &cap);
            Ok(())
        });
    }
    // Reaped by wait4 below, which (unlike Child::wait) also gives the child's peak RSS.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().expect("start clinic");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(waited, child.id() as libc::pid_t, "wait4 failed");
    let exit = if libc::WIFEXITED(status) {
        format!("exit {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("status {status}")
    };
    let reason = std::fs::read_to_string(stderr_file).unwrap_or_default();
    Measured {
        peak_kib: usage.ru_maxrss,
        exit,
        reason: reason.lines().next().unwrap_or("").to_owned(),
    }
}

#[test]
fn no_hostile_mail_takes_the_parser_past_128_mib_and_each_names_its_limit() {
    let bin = std::env::var_os("CLINIC_MEMORY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_clinic")));
    let report_only = std::env::var_os("CLINIC_MEMORY_REPORT").is_some_and(|v| v == "1");
    let dir = std::env::temp_dir().join(format!("clinic-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let mut failures = Vec::new();
    let mut table = String::new();
    for index in 0..hostile_mails().len() {
        // One mail at a time (this process' memory does not matter, but the folder's size does).
        let hostile = hostile_mails().swap_remove(index);
        assert!(
            hostile.mail.len() <= MAIL_MAX,
            "{} is {} bytes",
            hostile.name,
            hostile.mail.len()
        );
        let file = dir.join(format!("{index}.eml"));
        std::fs::File::create(&file)
            .and_then(|mut f| f.write_all(&hostile.mail))
            .expect("write the mail");
        let m = measure_from_fresh_process(&bin, &file, &dir.join(format!("{index}.err")));
        let _ = writeln_table(&mut table, hostile.name, hostile.mail.len(), &m);
        if m.peak_kib > BOUND_KIB {
            failures.push(format!(
                "{}: peak RSS {} KiB over {BOUND_KIB} KiB",
                hostile.name, m.peak_kib
            ));
        }
        match hostile.limit {
            Some(limit)
                if !(m.exit == "exit 1"
                    && m.reason.contains("over a size limit")
                    && m.reason.contains(limit)) =>
            {
                failures.push(format!(
                    "{}: expected a refusal naming {limit:?}, got {} {:?}",
                    hostile.name, m.exit, m.reason
                ));
            }
            None if m.exit.starts_with("killed") => {
                failures.push(format!("{}: {}", hostile.name, m.exit));
            }
            _ => {}
        }
        let _ = std::fs::remove_file(&file);
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "peak RSS of `{} maintenance parse` per hostile mail:\n{table}",
        bin.display()
    );
    if !report_only {
        assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
    }
}

fn writeln_table(table: &mut String, name: &str, size: usize, m: &Measured) -> std::fmt::Result {
    use std::fmt::Write as _;
    writeln!(
        table,
        "| {name} | {:.1} MiB | {:.1} MiB | {} | {} |",
        size as f64 / 1048576.0,
        m.peak_kib as f64 / 1024.0,
        m.exit,
        m.reason.chars().take(160).collect::<String>()
    )
}
