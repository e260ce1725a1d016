import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-accountant",
              summary: "jobs/complete → success or jobfailed from each job's report; records outputs in WMBS, the DBS buffer and ACDC",
              example: "WM_SPOOL=/data/spool wm-accountant --once") { _ in AccountantStage() }
