import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-retrymanager",
              summary: "cool-off → created when the retry algorithm says so; Pause parks jobs for an operator",
              example: "WM_SPOOL=/data/spool wm-retrymanager --watch --interval 30") { _ in RetryManagerStage() }
