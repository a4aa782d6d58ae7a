//! The manual's examples, run: every fenced block of `docs/src/**/*.md` and
//! `README.md` is extracted and run by its info string (the conventions are
//! in docs/src/dev/testing.md), so no example in the manual can go stale
//! unseen. Also: every relative link of the manual points at a file that
//! exists, and every page is listed in `docs/src/SUMMARY.md`.
//!
//! `cargo test --release --test manual` (`make test` runs it after building
//! the book with mdBook). The reference's coverage tests (every key the code
//! accepts and every command-line flag documented) are in
//! `tests/manual/reference_coverage.rs`.

#[path = "manual/reference_coverage.rs"]
mod reference_coverage;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The release (or test-profile) `spikesim` binary cargo built for this test.
fn spikesim() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_spikesim"))
}

/// Commands a ```` ```sh,norun ```` block may hold: installing, the
/// project's make targets and long runs. Any other norun command fails the
/// test, so that a runnable example is never left unrun.
const NORUN_PREFIXES: &[&str] = &[
    "make ",
    "cargo install ",
    "cargo build ",
    "cargo bench",
    "pip install ",
    "scripts/install-mdbook.sh",
    "mdbook ",
    "mpirun ",
    // Long trainings and full-scale runs (minutes).
    "spikesim train ",
    "spikesim continual ",
    "spikesim run models/microcircuit.toml",
];

/// Every markdown file the runner reads: README.md and the book's sources.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "md") {
                out.push(p);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    walk(&root().join("docs/src"), &mut files);
    files
}

/// One fenced block: where it starts, its info string and its text.
struct Block {
    file: PathBuf,
    line: usize,
    info: String,
    text: String,
    /// The repository path of the file the block includes, when the block is
    /// exactly one `{{#include}}`: it is checked in that file's place, so its
    /// relative paths (e.g. a model's `../stimuli/...`) resolve as they do in
    /// the repository.
    included: Option<PathBuf>,
}

impl Block {
    /// "docs/src/guide/x.md:12" for messages.
    fn at(&self) -> String {
        let rel = self.file.strip_prefix(root()).unwrap_or(&self.file);
        format!("{}:{}", rel.display(), self.line)
    }
}

/// `path` relative to the repository (`models/x.toml`), if it is inside it.
fn repo_path(path: &Path) -> Option<PathBuf> {
    let full = path.canonicalize().ok()?;
    let root = root().canonicalize().ok()?;
    full.strip_prefix(root).ok().map(Path::to_path_buf)
}

/// The fenced blocks of one file; a line that is exactly mdBook's
/// `{{#include PATH}}` is replaced by that file, as mdBook does.
fn blocks(file: &Path) -> Vec<Block> {
    let text = fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut open: Option<(usize, String, String, usize)> = None; // line, info, text, indent
    // The included file while the open block holds nothing else.
    let mut included: Option<Option<PathBuf>> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed.strip_prefix("```") {
            match open.take() {
                None => {
                    open = Some((i + 1, rest.trim().to_string(), String::new(), indent));
                    included = None;
                }
                Some((start, info, body, _)) => out.push(Block {
                    file: file.to_path_buf(),
                    line: start,
                    info,
                    text: body,
                    included: included.take().flatten(),
                }),
            }
            continue;
        }
        if let Some((_, _, body, ind)) = open.as_mut() {
            let content = if line.len() >= *ind {
                &line[*ind..]
            } else {
                trimmed
            };
            match content
                .trim()
                .strip_prefix("{{#include ")
                .and_then(|r| r.strip_suffix("}}"))
            {
                Some(path) => {
                    let inc = file.parent().unwrap().join(path.trim());
                    let t = fs::read_to_string(&inc).unwrap_or_else(|e| {
                        panic!(
                            "{}:{}: cannot include {}: {e}",
                            file.display(),
                            i + 1,
                            inc.display()
                        )
                    });
                    let alone = body.is_empty() && included.is_none();
                    included = Some(alone.then(|| repo_path(&inc)).flatten());
                    body.push_str(&t);
                    if !t.ends_with('\n') {
                        body.push('\n');
                    }
                }
                None => {
                    if !content.trim().is_empty() {
                        included = Some(None);
                    }
                    body.push_str(content);
                    body.push('\n');
                }
            }
        }
    }
    assert!(
        open.is_none(),
        "{}: a code fence is not closed",
        file.display()
    );
    out
}

/// The info string's parts: the language and its `key` or `key=value`
/// attributes (a value may be quoted and hold commas).
fn parse_info(info: &str) -> (String, Vec<(String, Option<String>)>) {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in info.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    let lang = parts.remove(0).trim().to_string();
    let attrs = parts
        .into_iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_string(),
                Some(v.trim().trim_matches('"').to_string()),
            ),
            None => (p.trim().to_string(), None),
        })
        .collect();
    (lang, attrs)
}

/// A fresh folder to run an example in: `models/`, `stimuli/` and
/// `examples/` mirrored with one symbolic link per file (so an example may
/// write new files there, and a results file renamed onto a path replaces
/// the link, never the repository's file), and `bin/spikesim`.
fn workdir() -> tempfile::TempDir {
    fn mirror(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                mirror(&p, &dest);
            } else {
                std::os::unix::fs::symlink(&p, &dest).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for sub in ["models", "stimuli", "examples"] {
        mirror(&root().join(sub), &dir.path().join(sub));
    }
    fs::create_dir(dir.path().join("bin")).unwrap();
    std::os::unix::fs::symlink(spikesim(), dir.path().join("bin/spikesim")).unwrap();
    dir
}

/// The outcome of one command: status, and standard output and error.
struct Ran {
    status: i32,
    output: String,
}

/// Runs `command` with bash in `dir`, `spikesim` first on the PATH, at most
/// 60 s.
fn bash(dir: &Path, command: &str) -> Ran {
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["60", "bash", "-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    Ran {
        status: out.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Merges `fragment` into `base`: tables key by key, arrays of tables
/// appended, any other value of the fragment replacing the base's.
fn merge(base: &mut toml::Table, fragment: toml::Table) {
    for (key, value) in fragment {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(f)) => merge(b, f),
            (Some(toml::Value::Array(b)), toml::Value::Array(f))
                if b.iter().chain(f.iter()).all(|v| v.is_table()) =>
            {
                b.extend(f)
            }
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

/// Whether `spikesim <command>` has a `--check` flag (part cli's, once
/// merged): experiment files are then checked by it, else only parsed.
fn has_check(command: &str) -> bool {
    let out = Command::new(spikesim())
        .args([command, "--help"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains("--check")
}

/// Runs one toml block; an error message when it does not do what its info
/// string says.
fn run_toml(b: &Block, attrs: &[(String, Option<String>)]) -> Result<(), String> {
    let dir = workdir();
    let mut text = b.text.clone();
    let mut run = false;
    let mut error: Option<String> = None;
    let mut experiment: Option<String> = None;
    let mut fragment = false;
    let mut base = "docs/src/examples/base.toml".to_string();
    for (k, v) in attrs {
        match (k.as_str(), v) {
            ("run", None) => run = true,
            ("fragment", None) => fragment = true,
            ("base", Some(p)) => base = p.clone(),
            ("error", Some(t)) => error = Some(t.clone()),
            ("experiment", Some(c)) => experiment = Some(c.clone()),
            _ => {
                return Err(format!(
                    "unknown attribute `{k}` in the info string `{}`",
                    b.info
                ));
            }
        }
    }
    if fragment {
        let base_text =
            fs::read_to_string(root().join(&base)).map_err(|e| format!("base {base}: {e}"))?;
        let mut merged: toml::Table =
            toml::from_str(&base_text).map_err(|e| format!("base {base}: {e}"))?;
        let frag: toml::Table = toml::from_str(&text).map_err(|e| format!("not TOML: {e}"))?;
        merge(&mut merged, frag);
        text = toml::to_string(&merged).unwrap();
    }
    // An included repository file is checked in its own place (its folder in
    // the work folder mirrors the repository's), any other block at the top.
    let name = match &b.included {
        Some(rel) if !fragment => rel.parent().unwrap().join("example.toml"),
        _ => PathBuf::from("example.toml"),
    };
    let file = dir.path().join(&name);
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(&file, &text).unwrap();
    let name = name.display();
    if let Some(cmd) = experiment {
        if !["train", "continual", "tempotron"].contains(&cmd.as_str()) {
            return Err(format!(
                "experiment={cmd}: not train, continual or tempotron"
            ));
        }
        toml::from_str::<toml::Table>(&text).map_err(|e| format!("not TOML: {e}"))?;
        if has_check(&cmd) {
            let r = bash(dir.path(), &format!("spikesim {cmd} --check {name}"));
            if r.status != 0 {
                return Err(format!(
                    "spikesim {cmd} --check failed ({}):\n{}",
                    r.status, r.output
                ));
            }
        }
        return Ok(());
    }
    let checked = bash(dir.path(), &format!("spikesim check {name}"));
    if let Some(want) = error {
        if checked.status == 0 {
            return Err(format!(
                "spikesim check accepted it; expected an error containing {want:?}"
            ));
        }
        if !checked.output.contains(&want) {
            return Err(format!(
                "the error does not contain {want:?}:\n{}",
                checked.output
            ));
        }
        return Ok(());
    }
    if checked.status != 0 {
        return Err(format!(
            "spikesim check failed ({}):\n{}\n--- the model as checked:\n{text}",
            checked.status, checked.output
        ));
    }
    if run {
        let started = std::time::Instant::now();
        let r = bash(
            dir.path(),
            &format!("spikesim run {name} --no-plots --out results/x.h5"),
        );
        if r.status != 0 {
            return Err(format!("spikesim run failed ({}):\n{}", r.status, r.output));
        }
        let took = started.elapsed().as_secs_f64();
        if took > 2.0 {
            return Err(format!(
                "a toml,run example must run in < 2 s; took {took:.1} s"
            ));
        }
    }
    Ok(())
}

/// The commands of a sh or console block, continuation lines joined: for
/// `console` the lines starting with `$ `, for `sh` every line that is not
/// blank or a comment.
fn commands(b: &Block, console: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in b.text.lines() {
        if let Some(c) = cur.as_mut() {
            c.push('\n');
            c.push_str(line);
            if !line.trim_end().ends_with('\\') {
                out.push(cur.take().unwrap());
            }
            continue;
        }
        let cmd = if console {
            match line.strip_prefix("$ ") {
                Some(c) => c,
                None => continue,
            }
        } else {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            line
        };
        if cmd.trim_end().ends_with('\\') {
            cur = Some(cmd.to_string());
        } else {
            out.push(cmd.to_string());
        }
    }
    out.extend(cur);
    out
}

/// The status a command's line asks for (`# exit N` at its end), else 0.
fn expected_status(command: &str) -> i32 {
    let last = command.lines().last().unwrap_or("");
    last.rsplit_once("# exit ")
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Runs one sh or console block.
fn run_shell(b: &Block, console: bool, attrs: &[(String, Option<String>)]) -> Result<(), String> {
    let mut norun = false;
    for (k, _) in attrs {
        match k.as_str() {
            "norun" => norun = true,
            _ => {
                return Err(format!(
                    "unknown attribute `{k}` in the info string `{}`",
                    b.info
                ));
            }
        }
    }
    let cmds = commands(b, console);
    if norun {
        for c in &cmds {
            if !NORUN_PREFIXES.iter().any(|p| c.starts_with(p)) {
                return Err(format!(
                    "norun holds `{c}`, which is not among tests/manual.rs's NORUN_PREFIXES: run it, or add its prefix there if it cannot run in a test"
                ));
            }
        }
        return Ok(());
    }
    let dir = workdir();
    for c in &cmds {
        let want = expected_status(c);
        let r = bash(dir.path(), c);
        if r.status != want {
            return Err(format!(
                "`{c}` exited {} (expected {want}):\n{}",
                r.status, r.output
            ));
        }
    }
    Ok(())
}

/// Runs every example of the pages `pick` selects; the number run, and a
/// message per failure naming page, line, info string and what went wrong.
fn run_examples(pick: impl Fn(&Path) -> bool) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut run = 0;
    for file in markdown_files().into_iter().filter(|f| pick(f)) {
        for b in blocks(&file) {
            let (lang, attrs) = parse_info(&b.info);
            let result = match lang.as_str() {
                "toml" => run_toml(&b, &attrs),
                "sh" | "bash" => run_shell(&b, false, &attrs),
                "console" => run_shell(&b, true, &attrs),
                _ => continue,
            };
            run += 1;
            if let Err(e) = result {
                failures.push(format!("{} (```{}): {e}", b.at(), b.info));
            }
        }
    }
    (run, failures)
}

/// Runs the examples under `docs/src/<dir>` (all of docs/src for ""), and
/// fails naming each example that does not do what its info string says,
/// or when fewer than `at_least` were found.
fn examples_under(dir: &str, at_least: usize) {
    let base = root().join("docs/src").join(dir);
    let others: Vec<PathBuf> = ["guide", "reference"]
        .iter()
        .map(|d| root().join("docs/src").join(d))
        .collect();
    let (run, failures) = run_examples(|f| {
        f.starts_with(&base) && (!dir.is_empty() || !others.iter().any(|o| f.starts_with(o)))
    });
    println!("{run} examples under docs/src/{dir}");
    assert!(
        run >= at_least,
        "only {run} examples under docs/src/{dir}: is the manual there?"
    );
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The user guide's examples do what their info strings say.
#[test]
fn user_guide_examples_run() {
    examples_under("guide", 15);
}

/// The reference's examples do what their info strings say.
#[test]
fn reference_examples_run() {
    examples_under("reference", 1);
}

/// The other pages' examples (introduction, development, performance,
/// experiments) do what their info strings say.
#[test]
fn other_pages_examples_run() {
    examples_under("", 0);
}

/// The README's examples do what their info strings say.
#[test]
fn readme_examples_run() {
    let readme = root().join("README.md");
    let (run, failures) = run_examples(|f| f == readme);
    assert!(run >= 3, "only {run} examples in README.md");
    assert!(
        failures.is_empty(),
        "{} example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The relative links and pictures of every page (and of README.md) point at
/// files that exist, and a link's `#anchor` into a page at one of its
/// headings; web addresses are not followed.
#[test]
fn relative_links_resolve() {
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = fs::read_to_string(&file).unwrap();
        let mut fence = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fence = !fence;
            }
            if fence {
                continue;
            }
            for (pos, _) in line.match_indices("](") {
                let rest = &line[pos + 2..];
                let Some(end) = rest.find(')') else { continue };
                let link = rest[..end].trim();
                if link.contains("://") || link.starts_with("mailto:") {
                    continue;
                }
                let (target, anchor) = link.split_once('#').unwrap_or((link, ""));
                let path = if target.is_empty() {
                    file.clone()
                } else {
                    file.parent().unwrap().join(target)
                };
                let rel = file.strip_prefix(root()).unwrap();
                if !path.exists() {
                    broken.push(format!("{}:{}: {target}", rel.display(), i + 1));
                } else if !anchor.is_empty()
                    && path.extension().is_some_and(|e| e == "md")
                    && !heading_ids(&path).contains(anchor)
                {
                    broken.push(format!(
                        "{}:{}: {link} (no such heading)",
                        rel.display(),
                        i + 1
                    ));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing files:\n{}",
        broken.join("\n")
    );
}

/// The ids mdBook gives the headings of a page: the text lowercased, spaces
/// to `-`, other characters than letters, digits, `-` and `_` dropped.
fn heading_ids(page: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(page).unwrap();
    let mut fence = false;
    let mut ids = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if fence || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        ids.insert(
            title
                .chars()
                .filter_map(|c| {
                    if c.is_alphanumeric() || c == '_' || c == '-' {
                        Some(c.to_lowercase().next().unwrap())
                    } else if c.is_whitespace() {
                        Some('-')
                    } else {
                        None
                    }
                })
                .collect(),
        );
    }
    ids
}

/// Every page under docs/src/ is in SUMMARY.md, so none is left out of the
/// built book.
#[test]
fn every_page_is_in_the_summary() {
    let summary = fs::read_to_string(root().join("docs/src/SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = summary
        .lines()
        .filter_map(|l| {
            l.split_once("](")
                .map(|(_, r)| r.split(')').next().unwrap().to_string())
        })
        .collect();
    let src = root().join("docs/src");
    let missing: Vec<String> = markdown_files()
        .into_iter()
        .filter(|f| f.starts_with(&src))
        .map(|f| f.strip_prefix(&src).unwrap().display().to_string())
        .filter(|f| f != "SUMMARY.md" && !listed.contains(f))
        .collect();
    assert!(
        missing.is_empty(),
        "pages not in docs/src/SUMMARY.md: {missing:?}"
    );
}
