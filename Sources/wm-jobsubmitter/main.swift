import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-jobsubmitter",
              summary: "submit created jobs to their sites' batch systems (jobs/created → executing | submitfailed)",
              example: "wm-jobsubmitter --spool /data/spool --watch --interval 10",
              extras: [CommandOption("runjob", .text("PATH"), help: "job wrapper to run (default: wm-runjob next to this program)"),
                       CommandOption("jobs-per-cycle", .integer(1...1_000_000), help: "created jobs considered per cycle (default 10000; WMCore 1000)")]) { options in
    var submitter = JobSubmitterStage()
    if let runjob = options.extra["runjob"] { submitter.runjobPath = runjob }
    if let n = options.extra["jobs-per-cycle"].flatMap({ Int($0) }) { submitter.jobsPerCycle = n }
    return submitter
}
