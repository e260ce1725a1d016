import Stages

StageMain.run(program: "wm-jobtracker",
              summary: "poll the batch systems for executing jobs (executing → complete | jobfailed), kill stuck ones",
              example: "wm-jobtracker --spool /data/spool --watch --interval 60",
              extras: [.init("pending-timeout", help: "seconds a job may stay Pending (default 432000)"),
                       .init("running-timeout", help: "seconds a job may stay Running (default 169200)"),
                       .init("error-timeout", help: "seconds a job may stay in Error (default 300)")]) { options in
    var timeouts = BatchStateTimeouts()
    for (flag, path) in [("pending-timeout", \BatchStateTimeouts.pending), ("running-timeout", \.running), ("error-timeout", \.error)] {
        guard let text = options.extra[flag] else { continue }
        guard let seconds = Double(text), seconds >= 0 else { throw CommandFailure(.usage, "wm-jobtracker: --\(flag) takes seconds >= 0, got '\(text)'") }
        timeouts[keyPath: path] = seconds
    }
    return JobTracker(timeouts: timeouts)
}
