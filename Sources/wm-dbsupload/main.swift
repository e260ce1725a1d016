import Commands
import SpoolLayout
import Stages

StageMain.run(program: "wm-dbsupload",
              summary: "DBS-buffer files → blocks (500 files, 25M events, 5 TB, 66400 s) → the catalog",
              example: "WM_SPOOL=/data/spool wm-dbsupload --once") { _ in DBSUploadStage() }
