import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { badRequest, type FieldError, type ProblemException } from './problem';

/** Flattens class-validator's tree into `{ field: 'data.items[0].quantity', message }` entries. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property (\S+) should not exist$/, 'is not a known field'),
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

/** The 400 for failed fields: the detail lists them, `errors` says what is wrong with each. */
export function invalidFields(fieldErrors: FieldError[]): ProblemException {
  const fields = [...new Set(fieldErrors.map((error) => error.field))].join(', ');
  return badRequest(`Invalid field${fieldErrors.length > 1 ? 's' : ''}: ${fields}`, fieldErrors);
}

/** Unknown fields are rejected (never silently dropped or stored). */
const STRICT: ValidatorOptions = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };

/** Validates a parsed body against a DTO outside Nest's pipe (e.g. after a signature check). */
export function validateStrict<T extends object>(dto: new () => T, body: object): T {
  const instance = plainToInstance(dto, body);
  const errors = validateSync(instance, STRICT);
  if (errors.length > 0) throw invalidFields(flattenValidationErrors(errors));
  return instance;
}

/** Strict body validation for Nest handlers; every failure names its field. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...STRICT,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => invalidFields(flattenValidationErrors(errors)),
  });
}
