from mycoder_lsp.cli import main

raise SystemExit(main())
