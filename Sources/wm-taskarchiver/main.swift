import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-taskarchiver",
              summary: "finished workflows → summary in archive/summaries/, request completed, WMBS removed",
              example: "WM_SPOOL=/data/spool wm-taskarchiver --once") { _ in TaskArchiverStage() }
