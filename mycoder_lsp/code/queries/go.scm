; Go symbols, read by mycoder_lsp.code.symbols (the chunks of the vault come from them too).
; @definition.<kind> is the definition's node, @name its name, @receiver a method's receiver (the
; method is qualified by its type: `Order.Total`). When several patterns match one node, the first
; one here wins. Each spec of a grouped `type ( ... )` is a symbol of its own.

(function_declaration name: (identifier) @name) @definition.function
(method_declaration receiver: (parameter_list) @receiver name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.class
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
