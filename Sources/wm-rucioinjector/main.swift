import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-rucioinjector",
              summary: "uploaded blocks → replica documents in transfer/outbox/, then Closed",
              example: "WM_SPOOL=/data/spool wm-rucioinjector --once") { _ in RucioInjectorStage() }
