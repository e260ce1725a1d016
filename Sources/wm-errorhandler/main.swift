import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-errorhandler",
              summary: "failed jobs → cool-off or retrydone by exit code and retry limits; retrydone → exhausted",
              example: "WM_SPOOL=/data/spool wm-errorhandler --once") { _ in ErrorHandlerStage() }
