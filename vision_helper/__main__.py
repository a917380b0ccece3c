from vision_helper.cli import main

raise SystemExit(main())
