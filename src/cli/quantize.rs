//! `spikesim quantize`: map a float LIF / CuBa model to a fixed-point
//! (Loihi) model file.

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::cli::model::{ModelArgs, load};
use crate::cli::paths::{ensure_parent, guard};

/// The options of `spikesim quantize`.
#[derive(Args)]
pub struct QuantizeArgs {
    /// The float model file and its overrides.
    #[command(flatten)]
    pub model: ModelArgs,
    /// The fixed-point model file to write.
    #[arg(long)]
    pub out: PathBuf,
}

/// `spikesim quantize`: the fixed-point model file written, with notes on
/// what the mapping changed.
pub fn quantize(args: QuantizeArgs) -> Result<(), Error> {
    let spec = load(&args.model)?;
    let inputs = crate::io::output_path::model_inputs(&args.model.model, &spec.text);
    guard(&args.out, &inputs, "--out")?;
    let q = crate::model::quantize::quantize(&spec)
        .map_err(|e| Error::Usage(format!("{}: {e}", args.model.model.display())))?;
    ensure_parent(&args.out)?;
    crate::io::output_path::write_atomically(&args.out, q.text.as_bytes())?;
    for note in &q.notes {
        say!("note: {note}");
    }
    say!("fixed-point model: {}", args.out.display());
    Ok(())
}
