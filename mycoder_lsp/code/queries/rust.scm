; Rust symbols, read by mycoder_lsp.code.symbols (the chunks of the vault come from them too).
; @definition.<kind> is the definition's node, @name its name. Functions inside an impl or a trait
; are methods of its type (`impl Point { fn norm }` -> `Point.norm`). When several patterns match
; one node, the first one here wins.

(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.class
(enum_item name: (type_identifier) @name) @definition.enum
(union_item name: (type_identifier) @name) @definition.class
(trait_item name: (type_identifier) @name) @definition.trait
(impl_item type: (_) @name) @definition.impl
(mod_item name: (identifier) @name) @definition.module
(macro_definition name: (identifier) @name) @definition.macro
(type_item name: (type_identifier) @name) @definition.type
