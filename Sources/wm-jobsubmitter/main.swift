import Stages

StageMain.run(program: "wm-jobsubmitter",
              summary: "submit created jobs to their sites' batch systems (jobs/created → executing | submitfailed)",
              example: "wm-jobsubmitter --spool /data/spool --watch --interval 10",
              extras: [.init("runjob", help: "job wrapper to run (default: wm-runjob next to this program)"),
                       .init("jobs-per-cycle", help: "created jobs considered per cycle (default 10000; WMCore 1000)")]) { options in
    var submitter = JobSubmitter()
    if let runjob = options.extra["runjob"] { submitter.runjobPath = runjob }
    if let text = options.extra["jobs-per-cycle"] {
        guard let n = Int(text), n > 0 else { throw CommandFailure(.usage, "wm-jobsubmitter: --jobs-per-cycle takes a count > 0, got '\(text)'") }
        submitter.jobsPerCycle = n
    }
    return submitter
}
