import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-jobarchiver",
              summary: "success/exhausted/killed → cleanout: logs tarred, inputs released, documents archived, filesets closed",
              example: "WM_SPOOL=/data/spool wm-jobarchiver --once") { _ in JobArchiverStage() }
