// swift-tools-version:6.0
// A Swift re-creation of CMS's workload management system (ReqMgr → WorkQueue → WMAgent)
// as a file-system-driven batch pipeline on spool directories. No package dependencies.
//
// The module graph (ARCHITECTURE.md explains it and the rules the ArchitectureTests enforce):
//   SpoolKit ← SpoolLayout ← Stages ← Operator ← Agent ← Benchmarks
//   domain (DynamicJSON, JobSplitting, FrameworkJobReport, EventFiles, WMCore, Tier0) under SpoolLayout
//   Commands (argument parsing, exit codes, logger) under everything that is a program
//   BatchSystems (local, Slurm, sim) under Stages;  WorkerRuntime (wm-runjob, wm-cmsrun) beside Stages, never linking it
//   StorageManagerReplay (wm-t0-replay, the Tier-0 storage-manager simulator) beside Stages, over SpoolLayout
import PackageDescription

let domain: [Target.Dependency] = ["DynamicJSON", "JobSplitting", "FrameworkJobReport", "EventFiles", "WMCore", "Tier0"]

let package = Package(
    name: "WMSpool",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SpoolKit", targets: ["SpoolKit"]),
        .library(name: "WMCore", targets: ["WMCore"]),
    ],
    dependencies: [],
    targets: [
        // A JSON value type with a deterministic serialisation, shared by the domain modules.
        .target(name: "DynamicJSON"),
        // The substrate: durable publish, claim by rename, scan, quarantine, locks, tar.gz. Knows nothing of CMS.
        .target(name: "SpoolKit"),
        // Job-splitting algorithms, faithful to WMCore's JobSplitting package. Pure functions.
        .target(name: "JobSplitting", dependencies: ["DynamicJSON"]),
        // The CMSSW framework job report (FJR XML): streaming reader and writer.
        .target(name: "FrameworkJobReport", dependencies: ["DynamicJSON"]),
        // The small binary event-file format used by wm-cmsrun, and file checksums (adler32, cksum).
        .target(name: "EventFiles"),
        // The domain: documents, state tables, requests, work-queue policies, retry rules, naming, config.
        .target(name: "WMCore", dependencies: ["JobSplitting", "DynamicJSON"]),
        // The Tier-0 domain: etc/t0.json, storage-manager documents, closeout and release rules, T0's names. No disk.
        .target(name: "Tier0", dependencies: ["WMCore", "JobSplitting", "DynamicJSON"]),
        // What every program shares: the declarative argument parser, exit codes, the logger, stop signals.
        .target(name: "Commands", dependencies: ["SpoolKit", "WMCore"]),
        // The spool map in code: typed paths of every area, document areas and passes, the stores
        // (WMBS, catalog, ACDC, elements, config cache, LFN registry), job documents, inspection.
        .target(name: "SpoolLayout", dependencies: ["SpoolKit", "Commands"] + domain),
        // The batch systems jobs run on: local processes, Slurm, and sim (which runs the job wrapper in process).
        .target(name: "BatchSystems", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "WorkerRuntime"] + domain),
        // The worker side: the job wrapper (wm-runjob) and the cmsRun stand-in (wm-cmsrun). Never links the agent.
        .target(name: "WorkerRuntime", dependencies: ["SpoolKit", "SpoolLayout", "Commands"] + domain),
        // One file per stage program: each stage's logic as a function over a spool.
        .target(name: "Stages", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "BatchSystems"] + domain),
        // The operator's tool, wmctl: one type per verb.
        .target(name: "Operator", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "BatchSystems", "Stages"] + domain),
        // The agent: init, the pipeline and its runner, the live view.
        .target(name: "Agent", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "BatchSystems", "Stages", "Operator"] + domain),
        // The storage-manager simulator (wm-t0-replay): streamer files and SM documents for a Tier-0 replay.
        .target(name: "StorageManagerReplay", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "EventFiles", "DynamicJSON", "Tier0"]),
        // Benchmarks, linked by wmagent bench and the wm-bench-* programs only.
        .target(name: "Benchmarks", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "BatchSystems", "Stages", "Agent"] + domain),

        // Helpers shared by the test targets (temporary spools, built executables, seeded randomness).
        .target(name: "TestSupport", dependencies: ["JobSplitting"], path: "Tests/TestSupport"),
        .testTarget(name: "SpoolKitTests", dependencies: ["SpoolKit", "TestSupport"]),
        .testTarget(name: "JobSplittingTests", dependencies: ["JobSplitting", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FrameworkJobReportTests", dependencies: ["FrameworkJobReport", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EventFilesTests", dependencies: ["EventFiles"]),
        .testTarget(name: "WMCoreTests", dependencies: ["WMCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "Tier0Tests", dependencies: ["Tier0", "WMCore", "DynamicJSON"]),
        .testTarget(name: "StagesTests", dependencies: ["SpoolKit", "SpoolLayout", "Commands", "BatchSystems", "WorkerRuntime",
                                                        "Stages", "Operator", "Agent", "Benchmarks", "WMCore", "TestSupport",
                                                        "StorageManagerReplay", "EventFiles", "Tier0"]),
    ]
)

/// Adds an executable target `name` in `Sources/<name>`.
@MainActor func program(_ name: String, _ dependencies: [Target.Dependency]) {
    package.targets.append(.executableTarget(name: name, dependencies: dependencies))
}

// The stage programs (thin: each runs its stage from the Stages library).
for stage in ["wm-reqmgr", "wm-workqueue", "wm-jobcreator", "wm-jobsubmitter", "wm-jobtracker", "wm-accountant",
              "wm-errorhandler", "wm-retrymanager", "wm-jobarchiver", "wm-taskarchiver", "wm-dbsupload", "wm-rucioinjector",
              "wm-t0feeder"] {
    program(stage, ["Stages", "Commands", "SpoolLayout", "WMCore"])
}
// One command for the whole agent: init, run, bench.
program("wmagent", ["Agent", "Benchmarks", "Stages", "Commands", "SpoolLayout", "SpoolKit", "WMCore"])
// The operator's tool.
program("wmctl", ["Operator", "Commands"])
// The worker side: the job wrapper (runs one job attempt in its work directory) and the cmsRun stand-in it runs.
program("wm-runjob", ["WorkerRuntime", "Commands"])
program("wm-cmsrun", ["WorkerRuntime", "Commands"])
// The storage-manager simulator: writes a Tier-0 replay's streamer files and documents.
program("wm-t0-replay", ["StorageManagerReplay"])
// A test helper: publishes and moves documents in a loop, to be killed at random (crash and race tests).
program("spool-torture", ["SpoolKit", "SpoolLayout", "Commands"])
// Benchmarks (release build): the substrate, reports, event files, splitting, the accountant, job documents.
program("wm-bench-spool", ["SpoolKit", "Benchmarks", "Commands"])
program("wm-bench-fjr", ["FrameworkJobReport", "Benchmarks", "Commands"])
program("wm-bench-events", ["EventFiles", "Benchmarks", "Commands"])
program("wm-bench-split", ["JobSplitting", "Benchmarks", "Commands", "SpoolKit", "WMCore"])
package.products.append(.executable(name: "wm-bench-split", targets: ["wm-bench-split"]))
program("wm-bench-accountant", ["Benchmarks", "Stages", "SpoolLayout", "Commands", "FrameworkJobReport", "SpoolKit", "WMCore"])
program("wm-bench-json", ["Benchmarks", "SpoolLayout", "Commands", "SpoolKit", "WMCore", "JobSplitting"])
program("wm-bench-report", ["Benchmarks", "Commands"])
