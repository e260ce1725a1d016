import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-t0feeder",
              summary: "Tier-0: register the storage managers' documents in t0/incoming/ and record each run's lumi closeout",
              example: "WM_SPOOL=/data/spool wm-t0feeder --once", dryRun: .supported) { options in
    if options.configPath != nil {
        throw CommandFailure(.usage, "wm-t0feeder: --config names the agent configuration, which this stage does not read; "
                             + "it reads the spool's etc/t0.json")
    }
    return T0FeederStage()
}
