//! `spikesim plot`: draw plots from a results file.

use std::path::PathBuf;

use clap::Args;

use crate::Error;
use crate::cli::info::warn_if_interrupted;
use crate::cli::paths::guard;
use crate::io::hdf5::read_results;
use crate::model::units::{Dimension, parse_as};
use crate::plot::{
    PotentialOptions, RasterOptions, RateOptions, WeightPlotOptions, potential, raster, rate,
    weight_course, weight_histogram,
};

/// The options of `spikesim plot`.
#[derive(Args)]
pub struct PlotArgs {
    /// The results file (HDF5) to draw from.
    pub results: PathBuf,
    /// Raster plot file (.png or .svg).
    #[arg(long)]
    pub raster: Option<PathBuf>,
    /// Membrane-potential plot file (.png or .svg).
    #[arg(long)]
    pub potential: Option<PathBuf>,
    /// Population(s): for the raster, which to show; for potentials, which to trace.
    #[arg(long)]
    pub population: Vec<String>,
    /// State variable to trace in the potential plot (default `v`), e.g. `ca`.
    #[arg(long, default_value = "v")]
    pub variable: String,
    /// Neurons to trace in the potential plot, e.g. `0,3,7` (default: the
    /// first 5 recorded, said in the legend).
    #[arg(long, value_delimiter = ',')]
    pub neurons: Option<Vec<u32>>,
    /// Start of the window, e.g. "100 ms".
    #[arg(long)]
    pub from: Option<String>,
    /// End of the window, e.g. "300 ms".
    #[arg(long)]
    pub to: Option<String>,
    /// Histogram of recorded weights, last snapshot over the first (.png or .svg).
    #[arg(long)]
    pub weight_histogram: Option<PathBuf>,
    /// Recorded weights against time (.png or .svg).
    #[arg(long)]
    pub weight_course: Option<PathBuf>,
    /// Projection for the weight plots; default the first recorded.
    #[arg(long)]
    pub projection: Option<String>,
    /// Firing rate against time of `--population` (.png or .svg).
    #[arg(long)]
    pub rate: Option<PathBuf>,
    /// Bin of the rate plot, e.g. "1 s".
    #[arg(long)]
    pub bin: Option<String>,
}

fn time_arg(text: &Option<String>, flag: &str) -> Result<Option<f64>, Error> {
    text.as_deref()
        .map(|t| parse_as(t, Dimension::Time).map_err(|e| Error::Usage(format!("--{flag}: {e}"))))
        .transpose()
}

/// `spikesim plot`: the plots asked for, drawn from a results file.
pub fn plot(args: PlotArgs) -> Result<(), Error> {
    if args.raster.is_none()
        && args.potential.is_none()
        && args.weight_histogram.is_none()
        && args.weight_course.is_none()
        && args.rate.is_none()
    {
        return Err(Error::Usage(
            "name at least one plot: --raster, --potential, --weight-histogram, --weight-course or --rate FILE".into(),
        ));
    }
    for (path, option) in [
        (&args.raster, "--raster"),
        (&args.potential, "--potential"),
        (&args.weight_histogram, "--weight-histogram"),
        (&args.weight_course, "--weight-course"),
        (&args.rate, "--rate"),
    ] {
        if let Some(path) = path {
            guard(path, std::slice::from_ref(&args.results), option)?;
        }
    }
    let results = read_results(&args.results)?;
    warn_if_interrupted(&args.results, &results);
    let (from, to) = (time_arg(&args.from, "from")?, time_arg(&args.to, "to")?);
    if let Some(path) = &args.raster {
        let opts = RasterOptions {
            populations: (!args.population.is_empty()).then(|| args.population.clone()),
            from,
            to,
            title: None,
        };
        raster(&results, path, &opts)?;
        say!("raster plot: {}", path.display());
    }
    if let Some(path) = &args.potential {
        let opts = PotentialOptions {
            population: args.population.first().cloned(),
            neurons: args.neurons.clone(),
            variable: args.variable.clone(),
            from,
            to,
            ..Default::default()
        };
        potential(&results, path, &opts)?;
        say!("potential plot: {}", path.display());
    }
    let opts = WeightPlotOptions {
        projection: args.projection.clone(),
        title: None,
    };
    if let Some(path) = &args.weight_histogram {
        weight_histogram(&results, path, &opts)?;
        say!("weight histogram: {}", path.display());
    }
    if let Some(path) = &args.weight_course {
        weight_course(&results, path, &opts)?;
        say!("weights over time: {}", path.display());
    }
    if let Some(path) = &args.rate {
        let opts = RateOptions {
            population: args.population.first().cloned(),
            bin: time_arg(&args.bin, "bin")?,
            title: None,
        };
        rate(&results, path, &opts)?;
        say!("rate plot: {}", path.display());
    }
    Ok(())
}
