import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-jobtracker",
              summary: "poll the batch systems for executing jobs (executing → complete | jobfailed), kill stuck ones",
              example: "wm-jobtracker --spool /data/spool --watch --interval 60",
              extras: [CommandOption("pending-timeout", .number(0...1e9), help: "seconds a job may stay Pending (default 432000)"),
                       CommandOption("running-timeout", .number(0...1e9), help: "seconds a job may stay Running (default 169200)"),
                       CommandOption("error-timeout", .number(0...1e9), help: "seconds a job may stay in Error (default 300)")]) { options in
    var timeouts = BatchStateTimeouts()
    for (flag, path) in [("pending-timeout", \BatchStateTimeouts.pending), ("running-timeout", \.running), ("error-timeout", \.error)] {
        if let seconds = options.extra[flag].flatMap({ Double($0) }) { timeouts[keyPath: path] = seconds }
    }
    return JobTrackerStage(timeouts: timeouts)
}
