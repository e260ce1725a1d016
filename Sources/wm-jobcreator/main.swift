import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-jobcreator",
              summary: "subscriptions' available files → job documents in jobs/created (split by each subscription's algorithm)",
              example: "WM_SPOOL=/data/spool wm-jobcreator --once",
              extras: [CommandOption("jobs-per-cycle", .integer(1...10_000_000),
                                     help: "jobs of one subscription made per cycle; later cycles make the rest (default 10000)")]) { options in
    JobCreatorStage(jobsPerCycle: options.extra["jobs-per-cycle"].flatMap { Int($0) } ?? 10_000)
}
