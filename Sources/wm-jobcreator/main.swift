import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-jobcreator",
              summary: "subscriptions' available files → job documents in jobs/created (split by each subscription's algorithm)",
              example: "WM_SPOOL=/data/spool wm-jobcreator --once") { _ in JobCreatorStage() }
