// swift-tools-version:6.0
// A Swift re-creation of CMS's workload management system (ReqMgr → WorkQueue → WMAgent)
// as a file-system-driven batch pipeline on spool directories. No package dependencies.
import PackageDescription

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
        // The substrate: durable publish, claim by rename, scan, quarantine, locks. Knows nothing of CMS.
        .target(name: "SpoolKit"),
        // Job-splitting algorithms, faithful to WMCore's JobSplitting package. Pure functions.
        .target(name: "JobSplitting", dependencies: ["DynamicJSON"]),
        // The CMSSW framework job report (FJR XML): streaming reader and writer.
        .target(name: "FrameworkJobReport", dependencies: ["DynamicJSON"]),
        // The small binary event-file format used by wm-cmsrun, and file checksums (adler32, cksum).
        .target(name: "EventFiles"),
        // The domain: documents, state tables, requests, work-queue policies, retry rules, naming, config.
        .target(name: "WMCore", dependencies: ["JobSplitting", "DynamicJSON"]),
        // One file per stage: each stage's logic as a function over a spool.
        .target(name: "Stages", dependencies: ["SpoolKit", "WMCore", "JobSplitting", "FrameworkJobReport", "EventFiles"]),

        // Stage programs (thin: each runs its stage from the Stages library).
        .executableTarget(name: "wm-reqmgr", dependencies: ["Stages"]),
        .executableTarget(name: "wm-workqueue", dependencies: ["Stages", "WMCore"]),
        .executableTarget(name: "wm-errorhandler", dependencies: ["Stages"]),
        .executableTarget(name: "wm-retrymanager", dependencies: ["Stages"]),
        // One command for the whole agent: init, run.
        .executableTarget(name: "wmagent", dependencies: ["Stages", "SpoolKit", "WMCore"]),
        // The operator's tool.
        .executableTarget(name: "wmctl", dependencies: ["Stages"]),
        // A test helper: publishes and moves documents in a loop, to be killed at random (crash and race tests).
        .executableTarget(name: "spool-torture", dependencies: ["SpoolKit", "Stages"]),
        // The substrate benchmark (release build).
        .executableTarget(name: "wm-bench-spool", dependencies: ["SpoolKit", "Stages"]),

        // Helpers shared by the test targets (temporary spools, built executables, seeded randomness).
        .target(name: "TestSupport", dependencies: ["JobSplitting"], path: "Tests/TestSupport"),
        .testTarget(name: "SpoolKitTests", dependencies: ["SpoolKit", "TestSupport"]),
        .testTarget(name: "JobSplittingTests", dependencies: ["JobSplitting", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "FrameworkJobReportTests", dependencies: ["FrameworkJobReport", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EventFilesTests", dependencies: ["EventFiles"]),
        .testTarget(name: "WMCoreTests", dependencies: ["WMCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "StagesTests", dependencies: ["Stages", "SpoolKit", "WMCore", "TestSupport"]),
        // Benchmark: framework job reports parsed per second.
        .executableTarget(name: "wm-bench-fjr", dependencies: ["FrameworkJobReport", "Stages"]),
        // Throughput benchmark of the event-file writer, reader and checksums (run with -c release).
        .executableTarget(name: "wm-bench-events", dependencies: ["EventFiles", "Stages"]),
        // Submits created jobs to the sites' batch plugins (local processes or Slurm).
        .executableTarget(name: "wm-jobsubmitter", dependencies: ["Stages"]),
        // Polls the batch plugins for executing jobs; completes, fails and kills them.
        .executableTarget(name: "wm-jobtracker", dependencies: ["Stages"]),
        // The job wrapper (runs one job attempt in its work directory) and the cmsRun stand-in it runs.
        .executableTarget(name: "wm-runjob", dependencies: ["Stages"]),
        .executableTarget(name: "wm-cmsrun", dependencies: ["Stages"]),
    ]
)

// Splitting benchmark (release build): jobs/s of the JobSplitting algorithms next to WMCore's figures.
package.targets.append(.executableTarget(name: "wm-bench-split", dependencies: ["JobSplitting", "Stages", "SpoolKit", "WMCore"]))
package.products.append(.executable(name: "wm-bench-split", targets: ["wm-bench-split"]))

// From reports to datasets: accountant, DBS upload, Rucio injector, job and task archivers (issue 7).
for stage in ["wm-accountant", "wm-dbsupload", "wm-rucioinjector", "wm-jobarchiver", "wm-taskarchiver"] {
    package.targets.append(.executableTarget(name: stage, dependencies: ["Stages"]))
}
// Accountant benchmark (release build): reports accounted per second on synthetic jobs with real reports.
package.targets.append(.executableTarget(name: "wm-bench-accountant", dependencies: ["Stages", "FrameworkJobReport", "SpoolKit", "WMCore"]))
// The job creator stage program: subscriptions' available files → job documents.
package.targets.append(.executableTarget(name: "wm-jobcreator", dependencies: ["Stages"]))
// Job-document decoding benchmark (release build): documents/s through JSONDecoder and through JobDocumentReader.
package.targets.append(.executableTarget(name: "wm-bench-json", dependencies: ["Stages", "SpoolKit", "WMCore", "JobSplitting"]))
