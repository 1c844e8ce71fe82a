/**
 * A change to a machine's properties, from a form (the machine page) or a JSON document (the API):
 *
 *   Tags        the whole set: a JSON array, or in a form a list separated by commas or spaces
 *   AddTags     tags to add (same spellings); RemoveTags: tags to remove
 *   Label       JSON {"Name": "production", "Colour": "#2f855a"}, or null / "" to remove it;
 *               a form sends LabelName and LabelColour (LabelName empty removes it)
 *   Description text; "" clears it
 *   Autostart   true or false (a form's checkbox sends a hidden false before it: the last value counts)
 *
 * Only the shape is checked here; the rules for each value are the service's (machine-properties.ts).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { PropertiesChange } from '../core/machine-properties.js';
import { PROPERTIES_FIELDS, type PropertiesField } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

const TAGS_MUST = 'a list of tags (an array of strings)';

export const PROPERTIES_BODY = {
  schema: bodySchema(
    {
      Tags: Field.words('The whole set of tags (replaces them): an array, or text separated by commas or spaces.', TAGS_MUST),
      AddTags: Field.words('Tags to add.', TAGS_MUST),
      RemoveTags: Field.words('Tags to remove.', TAGS_MUST),
      Label: Type.Union(
        [
          Type.Object({ Name: Type.String(), Colour: Type.String({ description: '#rrggbb' }) }, { additionalProperties: false }),
          Type.Null(),
          Type.Literal(''),
        ],
        {
          description: 'The label; null or "" removes it.',
          'x-must': '{"Name": "…", "Colour": "#rrggbb"}, or null to remove it',
        },
      ),
      Description: Field.text('Free text; "" clears it.'),
      Autostart: Field.lastFlag('Start the machine when its hypervisor starts.'),
    } satisfies Record<PropertiesField, TSchema>,
    { description: `At least one of ${PROPERTIES_FIELDS.join(', ')}.` },
  ),
  formOnly: {
    LabelName: Type.String({ description: "The label's name (a form's spelling of Label; empty removes it)." }),
    LabelColour: Type.String({ description: "The label's colour, #rrggbb." }),
  },
};

export function propertiesChangeFromBody(body: ParsedBody): PropertiesChange {
  const fields = readBodyFields(body, PROPERTIES_BODY);
  const change: PropertiesChange = {};
  if (fields.Tags) change.tags = fields.Tags;
  if (fields.AddTags) change.addTags = fields.AddTags;
  if (fields.RemoveTags) change.removeTags = fields.RemoveTags;
  if (fields.Label !== undefined)
    change.label = fields.Label === null || fields.Label === '' ? null : { name: fields.Label.Name, colour: fields.Label.Colour };
  if (fields.LabelName !== undefined || fields.LabelColour !== undefined) {
    if (fields.Label !== undefined) throw new HttpError(400, 'send Label, or LabelName and LabelColour, not both');
    const name = String(fields.LabelName ?? '');
    change.label = name.trim() === '' ? null : { name, colour: String(fields.LabelColour ?? '') };
  }
  if (fields.Description !== undefined) change.description = fields.Description;
  if (fields.Autostart !== undefined) change.autostart = fields.Autostart;
  if (Object.keys(change).length === 0)
    throw new HttpError(400, `nothing to change; send any of ${PROPERTIES_FIELDS.join(', ')}`);
  return change;
}
