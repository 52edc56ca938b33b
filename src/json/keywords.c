/* The keyword table: see keywords.h. */
#include <string.h>

#include "keywords.h"

const kw_def_t pt__kw_defs[KW_COUNT] = {
    [KW_REF] = {"$ref", pt__kw_compile_ref, pt__kw_validate_ref},
    [KW_TYPE] = {"type", pt__kw_compile_type, pt__kw_validate_type},
    [KW_ENUM] = {"enum", pt__kw_compile_enum, pt__kw_validate_enum},
    [KW_CONST] = {"const", pt__kw_compile_const, pt__kw_validate_const},
    [KW_MULTIPLE_OF] = {"multipleOf", pt__kw_compile_multiple_of, pt__kw_validate_multiple_of},
    [KW_MAXIMUM] = {"maximum", pt__kw_compile_bound, pt__kw_validate_maximum},
    [KW_EXCL_MAXIMUM] = {"exclusiveMaximum", pt__kw_compile_bound, pt__kw_validate_excl_maximum},
    [KW_MINIMUM] = {"minimum", pt__kw_compile_bound, pt__kw_validate_minimum},
    [KW_EXCL_MINIMUM] = {"exclusiveMinimum", pt__kw_compile_bound, pt__kw_validate_excl_minimum},
    [KW_MAX_LENGTH] = {"maxLength", pt__kw_compile_count, pt__kw_validate_max_length},
    [KW_MIN_LENGTH] = {"minLength", pt__kw_compile_count, pt__kw_validate_min_length},
    [KW_PATTERN] = {"pattern", pt__kw_compile_pattern, pt__kw_validate_pattern},
    [KW_FORMAT] = {"format", pt__kw_compile_format, pt__kw_validate_format},
    [KW_ITEMS] = {"items", pt__kw_compile_items, pt__kw_validate_items},
    [KW_ITEMS_TUPLE] = {"items", pt__kw_compile_items, pt__kw_validate_items_tuple},
    [KW_ADDITIONAL_ITEMS] = {"additionalItems", pt__kw_compile_additional_items, pt__kw_validate_additional_items},
    [KW_MAX_ITEMS] = {"maxItems", pt__kw_compile_count, pt__kw_validate_max_items},
    [KW_MIN_ITEMS] = {"minItems", pt__kw_compile_count, pt__kw_validate_min_items},
    [KW_UNIQUE_ITEMS] = {"uniqueItems", pt__kw_compile_unique_items, pt__kw_validate_unique_items},
    [KW_CONTAINS] = {"contains", pt__kw_compile_subschema, pt__kw_validate_contains},
    [KW_MAX_PROPERTIES] = {"maxProperties", pt__kw_compile_count, pt__kw_validate_max_properties},
    [KW_MIN_PROPERTIES] = {"minProperties", pt__kw_compile_count, pt__kw_validate_min_properties},
    [KW_REQUIRED] = {"required", pt__kw_compile_required, pt__kw_validate_required},
    [KW_PROPERTIES] = {"properties", pt__kw_compile_properties, pt__kw_validate_properties},
    [KW_PATTERN_PROPERTIES] = {"patternProperties", pt__kw_compile_pattern_properties, pt__kw_validate_pattern_properties},
    [KW_ADDITIONAL_PROPERTIES] = {"additionalProperties", pt__kw_compile_subschema, pt__kw_validate_additional_properties},
    [KW_DEPENDENCIES] = {"dependencies", pt__kw_compile_dependencies, pt__kw_validate_dependencies},
    [KW_PROPERTY_NAMES] = {"propertyNames", pt__kw_compile_subschema, pt__kw_validate_property_names},
    [KW_IF] = {"if", pt__kw_compile_if, pt__kw_validate_if},
    [KW_ALL_OF] = {"allOf", pt__kw_compile_schema_list, pt__kw_validate_all_of},
    [KW_ANY_OF] = {"anyOf", pt__kw_compile_schema_list, pt__kw_validate_any_of},
    [KW_ONE_OF] = {"oneOf", pt__kw_compile_schema_list, pt__kw_validate_one_of},
    [KW_NOT] = {"not", pt__kw_compile_subschema, pt__kw_validate_not},
    [KW_THEN] = {"then", pt__kw_compile_then_else, NULL},
    [KW_ELSE] = {"else", pt__kw_compile_then_else, NULL},
    [KW_DEFINITIONS] = {"definitions", pt__kw_compile_definitions, NULL},
    [KW_DEFS] = {"$defs", pt__kw_compile_definitions, NULL},
    [KW_ID] = {"$id", pt__kw_compile_string, NULL},
    [KW_SCHEMA] = {"$schema", pt__kw_compile_string, NULL},
};

const kw_def_t *pt__kw_lookup(const char *name)
{
    for (size_t i = 1; i < KW_COUNT; i++)
        if (!strcmp(pt__kw_defs[i].name, name))
            return &pt__kw_defs[i];
    return NULL;
}
